// Discovery: what a sync reads from Exchange and Intune. A full sync reads
// everything; a quick one the partnerships new since the watermark, the
// Intune devices changed since the last look, the group memberships, and the
// known partnerships that are affected (see discoverQuick).
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError, IntuneError } from '../ports.js';
import type { CasMailbox, DeviceAccessRule, ExchangeServer, GroupMembership, ManagedDevice, MobileDevice, OrgSettings } from '../facts.js';
import type { DeviceState } from '../mailbox.js';
import { mailboxIdentityOfDevice } from '../identity.js';
import { progress, type Fail, type SyncOpening } from './run.js';
import { quickWindows } from './watermark.js';
import { keyedGet } from '../mailbox/keyed.js';
import { keptManaged, ManagedCache } from './managed-cache.js';
import { quickAffected } from './quick-affected.js';

/** What a sync read. */
export interface Discovered {
  readonly devices: MobileDevice[];
  readonly mailboxes: CasMailbox[];
  readonly groups: GroupMembership;
  /** Read by a full sync, and by a quick one with org commands pending. */
  readonly settings?: OrgSettings;
  readonly rules?: DeviceAccessRule[];
  /** Read by a full sync. */
  readonly servers?: ExchangeServer[];
}

function firstError(
  results: ReadonlyArray<Either<ExchangeError, unknown>>,
  intune: ReadonlyArray<Either<IntuneError, unknown>>,
): Fail | undefined {
  for (const r of results) if (isLeft(r)) return { kind: `exchange.${r.left.kind}`, message: `Exchange: ${r.left.message}` };
  for (const r of intune)
    if (isLeft(r)) return { kind: `intune.${r.left.kind}`, message: `Intune: ${r.left.message}${r.left.url ? ` (${r.left.url})` : ''}` };
  return undefined;
}
const get = <A>(e: Either<unknown, A>) => (e as { right: A }).right;

function asMobileDevice(d: DeviceState): MobileDevice {
  const { decision: _d, owned: _o, notified: _n, grandfathered: _g, override: _ov, wipe: _w, ...rest } = d;
  return rest;
}

/**
 * Reads what the sync's kind needs; the first read that fails fails the sync. It only reads, so it
 * may run while the sync's start is being made durable (see sync.ts).
 */
export async function discover(run: SyncOpening): Promise<Fail | Discovered> {
  const { ctx } = run;
  progress(run, 'discover', 0, 1);
  await ctx.failover.probePrimary();
  const x = ctx.failover;
  const groupIds = [...new Set([...ctx.policy.includedGroups, ...ctx.policy.excludedGroups])];
  let found: Discovered;
  const intuneLookedAt = ctx.now();
  if (run.kind === 'full') {
    const [d, m, st, r, sv, md, g] = await Promise.all([
      x.read(() => ctx.exchange.getMobileDevices()),
      x.read(() => ctx.exchange.getCasMailboxes()),
      x.read(() => ctx.exchange.getOrgSettings()),
      x.read(() => ctx.exchange.getDeviceAccessRules()),
      x.read(() => ctx.exchange.getExchangeServers()),
      ctx.intune.getManagedDevices(),
      ctx.intune.getGroupMembers(groupIds),
    ]);
    const e = firstError([d, m, st, r, sv], [md, g]);
    if (e) return e;
    const servers = get(sv);
    found = { devices: get(d), mailboxes: get(m), settings: get(st), rules: get(r), servers, groups: get(g) };
    ctx.caches.managed = ManagedCache.ofList(get(md));
    ctx.failover.setServers(servers.filter((v) => v.isClientAccessServer).map((v) => v.fqdn));
  } else {
    const quick = await discoverQuick(run, groupIds);
    if ('kind' in quick) return quick;
    found = quick;
  }
  ctx.caches.intuneCheckedAt = intuneLookedAt;
  progress(run, 'discover', 1, 1, {
    final: true,
    found: { partnerships: found.devices.length, mailboxes: found.mailboxes.length, managedDevices: ctx.caches.managed?.size ?? 0 },
  });
  return found;
}

/**
 * A quick sync's reads: partnerships new since the watermark, Intune devices
 * changed since the last look, group memberships; the known partnerships
 * affected (a decision-relevant Intune change, a group change, a grace period
 * run out, no decision yet, intents pending) and the mailboxes of all of them.
 */
async function discoverQuick(run: SyncOpening, groupIds: readonly string[]): Promise<Fail | Discovered> {
  const { ctx, startedMs } = run;
  const x = ctx.failover;
  const st = ctx.state();
  const { since, intuneSince } = quickWindows(st, ctx.caches);
  const [d, md, g] = await Promise.all([
    x.read(() => ctx.exchange.getMobileDevices(since ? { firstSyncAfter: since } : undefined)),
    ctx.intune.getManagedDevices(intuneSince ? { changedSince: intuneSince } : undefined),
    ctx.intune.getGroupMembers(groupIds),
  ]);
  const e = firstError([d], [md, g]);
  if (e) return e;
  const changed = get(md);
  const groups = get(g);
  if (!ctx.caches.managed || !intuneSince) ctx.caches.managed = ManagedCache.empty();
  const cache = ctx.caches.managed.byId();
  // Only a change that can alter a decision makes a device affected (check-ins alone do not).
  const really = changed.filter((m) => {
    const prev = cache.get(m.id);
    return !prev || !sameManaged(prev, m);
  });
  for (const m of changed) cache.set(m.id, keptManaged(m));

  const { affected, fresh } = quickAffected({
    organization: ctx.organization,
    mailboxes: st.mailboxes,
    reported: get(d),
    changed: really,
    groups,
    policy: ctx.policy,
    atMs: startedMs,
  });
  const identities = new Set<string>();
  for (const stream of affected.keys()) {
    const id = st.mailboxes.get(stream)?.info?.identity;
    if (id) identities.add(id);
  }
  for (const dev of fresh) {
    const id = mailboxIdentityOfDevice(dev.identity);
    if (id) identities.add(id);
  }
  let mailboxes: CasMailbox[] = [];
  if (identities.size > 0) {
    const m = await x.read(() => ctx.exchange.getCasMailboxes({ identities: [...identities] }));
    if (isLeft(m)) return { kind: `exchange.${m.left.kind}`, message: `Exchange: ${m.left.message}` };
    mailboxes = m.right;
  }
  const devices: MobileDevice[] = [...fresh];
  for (const [stream, keys] of affected) {
    const ms = st.mailboxes.get(stream)!;
    for (const k of keys) {
      const dev = keyedGet(ms.devices, k);
      if (dev) devices.push(asMobileDevice(dev));
    }
  }
  let settings: OrgSettings | undefined;
  let rules: DeviceAccessRule[] | undefined;
  if (Object.keys(st.connector.pending).length > 0) {
    const [s1, r1] = await Promise.all([x.read(() => ctx.exchange.getOrgSettings()), x.read(() => ctx.exchange.getDeviceAccessRules())]);
    if (!isLeft(s1) && !isLeft(r1)) {
      settings = s1.right;
      rules = r1.right;
    }
  }
  return { devices, mailboxes, groups, ...(settings ? { settings } : {}), ...(rules ? { rules } : {}) };
}

const sameManaged = (a: ManagedDevice, b: ManagedDevice) =>
  a.easDeviceId === b.easDeviceId &&
  a.userPrincipalName === b.userPrincipalName &&
  a.emailAddress === b.emailAddress &&
  a.complianceState === b.complianceState &&
  a.managementAgent === b.managementAgent &&
  a.complianceGracePeriodExpirationDateTime === b.complianceGracePeriodExpirationDateTime;
