// The gateway's reads: idempotent, so retried on a fresh session (connectionLost)
// or after the server's named wait (throttled); decoded into facts, mailboxes
// joined with their UserPrincipalName from Get-User when the account may read it.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { CasMailbox, DeviceAccessRule, ExchangeServer, MobileDevice, MobileDeviceStatistics, OrgSettings } from '../../src/facts.js';
import type { CasMailboxQuery, ExchangeError, ExchangeGateway, MobileDeviceQuery, MobileDeviceStatisticsQuery } from '../../src/ports.js';
import {
  decodeCasMailbox,
  decodeDeviceAccessRule,
  decodeExchangeServer,
  decodeMobileDevice,
  decodeOrgSettings,
  decodeOutput,
  decodeStatistics,
  decodeUser,
  type UserRecord,
} from './decode.js';
import { lc, type ResolvedOptions } from './options.js';
import type { RequestSpec, SessionPool } from './pool.js';
import { request, type Args } from './requests.js';
import type { Hello } from './session.js';

export type GatewayReads = Pick<
  ExchangeGateway,
  'getMobileDevices' | 'getCasMailboxes' | 'getOrgSettings' | 'getDeviceAccessRules' | 'getExchangeServers' | 'getMobileDeviceStatistics'
>;

/** `fn` over `items` with at most `limit` running at once; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const hasCmdlet = (h: Hello, name: string) => h.cmdlets.some((c) => c.toLowerCase() === name.toLowerCase());

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

function joinUpns(mailboxes: CasMailbox[], users: readonly UserRecord[]): CasMailbox[] {
  const byKey = new Map<string, string>();
  for (const u of users) {
    if (!u.userPrincipalName) continue;
    for (const k of [u.distinguishedName, u.guid, u.identity]) if (k) byKey.set(lc(k), u.userPrincipalName);
  }
  return mailboxes.map((m) => {
    if (m.userPrincipalName) return m;
    const upn = [m.distinguishedName, m.guid, m.identity].map((k) => (k ? byKey.get(lc(k)) : undefined)).find((x) => x !== undefined);
    return upn ? { ...m, userPrincipalName: upn } : m;
  });
}

/** The reads of one gateway over its pool; `discovered` hears of every Get-ExchangeServer answer (autoFailover). */
export function gatewayReads(
  pool: SessionPool,
  r: ResolvedOptions,
  discovered: (records: readonly ExchangeServer[]) => void,
): GatewayReads {
  const { size, commandTimeoutMs, readRetries, maxReadThrottleWaitMs, resolveUpns, failover, log } = r;

  /** A read: idempotent, so retried on a fresh session (connectionLost) or after the named wait (throttled). */
  async function read(spec: RequestSpec): Promise<Either<ExchangeError, readonly unknown[] | undefined>> {
    for (let attempt = 0; ; attempt++) {
      const r = await pool.run(spec, commandTimeoutMs);
      if (!isLeft(r)) return right(r.right?.chunks);
      const e = r.left;
      const retryable = e.kind === 'connectionLost' || (e.kind === 'throttled' && e.waitMs <= maxReadThrottleWaitMs);
      if (!retryable || attempt >= readRetries) return r;
      log({ level: 'info', event: 'readRetry', message: `retrying a read after ${e.kind}: ${e.message}` });
      if (e.kind === 'throttled') await sleep(e.waitMs);
    }
  }

  const deviceCmdlet = (h: Hello) => (hasCmdlet(h, 'Get-MobileDevice') ? 'Get-MobileDevice' : 'Get-ActiveSyncDevice');

  async function getMobileDevices(query?: MobileDeviceQuery): Promise<Either<ExchangeError, MobileDevice[]>> {
    let after: number | undefined;
    if (query?.firstSyncAfter !== undefined) {
      after = Date.parse(query.firstSyncAfter);
      if (Number.isNaN(after))
        return left({ kind: 'other', message: `firstSyncAfter is not a date: ${JSON.stringify(query.firstSyncAfter)}` });
    }
    const args: Args = { ResultSize: 'Unlimited' };
    if (after !== undefined) args['FirstSyncAfter'] = new Date(after).toISOString();
    let op = 'Get-MobileDevice';
    const r = await read((h) => {
      op = deviceCmdlet(h);
      return request(op, args);
    });
    if (isLeft(r)) return r;
    const d = decodeOutput(op, r.right ?? [], decodeMobileDevice);
    if (isLeft(d) || after === undefined) return d;
    // the server-side filter has a margin (time zones); this is the exact cut
    const cut = after;
    return right(d.right.filter((x) => x.firstSyncTime !== undefined && Date.parse(x.firstSyncTime) > cut));
  }

  const userSpec =
    (args: Args): RequestSpec =>
    (h) =>
      hasCmdlet(h, 'Get-User') ? request('Get-User', args) : undefined;
  let warnedNoGetUser = false;

  async function users(args: Args, notFoundIsEmpty: boolean): Promise<Either<ExchangeError, UserRecord[]>> {
    if (!resolveUpns) return right([]);
    const r = await read(userSpec(args));
    if (isLeft(r)) {
      if (notFoundIsEmpty && r.left.kind === 'notFound') return right([]);
      if (r.left.kind === 'accessDenied') {
        log({
          level: 'warn',
          event: 'noUserPrincipalNames',
          message: `Get-User refused (${r.left.message}); mailboxes are matched without their UPN`,
        });
        return right([]);
      }
      return r;
    }
    if (r.right === undefined) {
      if (!warnedNoGetUser) {
        warnedNoGetUser = true;
        log({
          level: 'warn',
          event: 'noUserPrincipalNames',
          message: 'Get-User is not available to this account; mailboxes are matched without their UPN',
        });
      }
      return right([]);
    }
    return decodeOutput('Get-User', r.right, decodeUser);
  }

  async function getCasMailboxes(query?: CasMailboxQuery): Promise<Either<ExchangeError, CasMailbox[]>> {
    if (query?.identities) {
      const results = await mapLimit(query.identities, size, async (identity): Promise<Either<ExchangeError, CasMailbox[]>> => {
        const r = await read(request('Get-CasMailbox', { Identity: identity }));
        if (isLeft(r)) return r.left.kind === 'notFound' ? right<ExchangeError, CasMailbox[]>([]) : r;
        const d = decodeOutput('Get-CasMailbox', r.right ?? [], decodeCasMailbox);
        if (isLeft(d) || d.right.length === 0) return d;
        const u = await users({ Identity: identity }, true);
        if (isLeft(u)) return u;
        return right(joinUpns(d.right, u.right));
      });
      const out: CasMailbox[] = [];
      const seen = new Set<string>();
      for (const r of results) {
        if (isLeft(r)) return r;
        for (const m of r.right) {
          const key = lc(m.guid ?? m.distinguishedName ?? m.identity);
          if (!seen.has(key)) {
            seen.add(key);
            out.push(m);
          }
        }
      }
      return right(out);
    }
    const r = await read(request('Get-CasMailbox', { WithPartnership: true, ResultSize: 'Unlimited' }));
    if (isLeft(r)) return r;
    const d = decodeOutput('Get-CasMailbox', r.right ?? [], decodeCasMailbox);
    if (isLeft(d) || d.right.length === 0) return d;
    const u = await users({ ResultSize: 'Unlimited' }, false);
    if (isLeft(u)) return u;
    return right(joinUpns(d.right, u.right));
  }

  async function getOrgSettings(): Promise<Either<ExchangeError, OrgSettings>> {
    const r = await read(request('Get-ActiveSyncOrganizationSettings'));
    if (isLeft(r)) return r;
    const d = decodeOutput('Get-ActiveSyncOrganizationSettings', r.right ?? [], decodeOrgSettings);
    if (isLeft(d)) return d;
    const first = d.right[0];
    if (!first)
      return left({
        kind: 'invalidOutput',
        message: 'Get-ActiveSyncOrganizationSettings returned nothing',
        path: 'Get-ActiveSyncOrganizationSettings',
      });
    return right(first);
  }

  async function getDeviceAccessRules(): Promise<Either<ExchangeError, DeviceAccessRule[]>> {
    const r = await read(request('Get-ActiveSyncDeviceAccessRule'));
    if (isLeft(r)) return r;
    return decodeOutput('Get-ActiveSyncDeviceAccessRule', r.right ?? [], decodeDeviceAccessRule);
  }

  async function getExchangeServers(): Promise<Either<ExchangeError, ExchangeServer[]>> {
    const r = await read(request('Get-ExchangeServer'));
    if (isLeft(r)) return r;
    const d = decodeOutput('Get-ExchangeServer', r.right ?? [], decodeExchangeServer);
    if (!isLeft(d) && failover) discovered(d.right);
    return d;
  }

  async function getMobileDeviceStatistics(query: MobileDeviceStatisticsQuery): Promise<Either<ExchangeError, MobileDeviceStatistics[]>> {
    const args: Args = 'identity' in query ? { Identity: query.identity } : { Mailbox: query.mailbox };
    let op = 'Get-MobileDeviceStatistics';
    const r = await read((h) => {
      op = hasCmdlet(h, 'Get-MobileDeviceStatistics') ? 'Get-MobileDeviceStatistics' : 'Get-ActiveSyncDeviceStatistics';
      return request(op, args);
    });
    if (isLeft(r)) return r;
    return decodeOutput(op, r.right ?? [], decodeStatistics);
  }

  return { getMobileDevices, getCasMailboxes, getOrgSettings, getDeviceAccessRules, getExchangeServers, getMobileDeviceStatistics };
}
