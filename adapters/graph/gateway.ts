// The IntuneGateway over Microsoft Graph v1.0: managed devices (every page) and
// transitive user members of groups. Every request goes through one budget
// (below Intune's limits), honours 429 Retry-After (exponential backoff with
// jitter when absent), retries 5xx and network failures a bounded number of
// times, refreshes the token once after a 401, and decodes every body with
// io-ts. A failure is an IntuneError naming the URL (and the field, for a bad
// body): never a throw, never a silently shorter list. The bearer token is only
// ever sent to the base URL's origin and never appears in an error.
import { randomUUID } from 'node:crypto';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { GroupMembership, ManagedDevice } from '../../src/facts.js';
import type { IntuneError } from '../../src/ports.js';
import { decodeWith } from '../../src/codec.js';
import { decodeManagedDevicePage } from '../exports/graph.js';
import { formatInputError, show } from '../shared/input-errors.js';
import { DEFAULT_BUDGET, RequestBudget } from './budget.js';
import { ProxyError } from './proxy.js';
import { checkBaseUrl, describeStatus, errorMessage, MembersPageC, parseRetryAfter, showUrl, snippet } from './http.js';

import { GRAPH_V1, MANAGED_DEVICE_SELECT, type GraphGatewayOptions, type GraphIntuneGateway, type GraphStats } from './options.js';

// Kept importable from here, where they were first published.
export { checkBaseUrl, parseRetryAfter, showUrl, GRAPH_V1, MANAGED_DEVICE_SELECT };
export type { GraphGatewayOptions, GraphIntuneGateway, GraphStats };

const MAX_PAGES = 100_000;

/** A failed GET: the error, and the last HTTP status when one was received. */
interface Failure {
  readonly error: IntuneError;
  readonly status?: number;
}

export function graphIntuneGateway(o: GraphGatewayOptions): GraphIntuneGateway {
  const base = checkBaseUrl(o.baseUrl ?? GRAPH_V1);
  const baseHref = base.href.replace(/\/+$/, '');
  const origin = base.origin;
  const fetchImpl = o.fetch ?? globalThis.fetch;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((res) => setTimeout(res, ms)));
  const random = o.random ?? Math.random;
  const now = o.now ?? Date.now;
  const maxRetries = Math.max(0, o.maxRetries ?? 4);
  const maxThrottleRetries = Math.max(0, o.maxThrottleRetries ?? 8);
  const maxWaitMs = o.maxWaitMs ?? 300_000;
  const baseMs = o.backoff?.baseMs ?? 1000;
  const capMs = o.backoff?.maxMs ?? 60_000;
  const timeoutMs = o.timeoutMs ?? 100_000;
  const stats: GraphStats = { requests: 0, throttled: 0, retries: 0, tokenRefreshes: 0, waitedMs: 0 };
  const waitFor = async (ms: number) => {
    stats.waitedMs += ms;
    await sleep(ms);
  };
  const budget = new RequestBudget(o.budget ?? DEFAULT_BUDGET, now, waitFor);

  // Tokens seen, so that no message can ever carry one (even if a server echoes it).
  const tokens: string[] = [];
  const remember = (tok: string) => {
    if (!tokens.includes(tok)) {
      tokens.push(tok);
      if (tokens.length > 4) tokens.shift();
    }
  };
  const redact = (s: string): string => {
    let out = s;
    for (const tok of tokens) if (tok.length >= 4) out = out.split(tok).join('[redacted]');
    return out.replace(/Bearer\s+[^\s"',;]+/gi, 'Bearer [redacted]');
  };
  const fail = (e: IntuneError): Either<IntuneError, never> => left({ ...e, message: redact(e.message) });
  const failure = (e: IntuneError): Either<Failure, never> => left({ error: { ...e, message: redact(e.message) } });

  /** Attempt n (1-based) waits between half and all of min(cap, base·2^(n-1)). */
  const backoffMs = (n: number): number => {
    const cap = Math.min(capMs, baseMs * 2 ** (n - 1));
    return Math.round(cap / 2 + random() * (cap / 2));
  };

  /** One GET, retried as needed; a failure carries the last HTTP status (for callers that treat 404 specially). */
  async function getJson(url: string, extraHeaders: Record<string, string> = {}): Promise<Either<Failure, unknown>> {
    const shown = showUrl(url);
    const at = `GET ${shown}`;
    let transient = 0;
    let throttled = 0;
    let refreshed = false;
    let forceRefresh = false;
    for (;;) {
      await budget.acquire();
      let token: string;
      try {
        token = await o.tokenProvider(forceRefresh ? { forceRefresh: true } : undefined);
        forceRefresh = false;
      } catch (e) {
        return failure({ kind: 'unauthorized', message: `could not obtain a Graph token for ${at}: ${errorMessage(e)}`, url: shown });
      }
      remember(token);
      stats.requests++;
      const requestId = randomUUID();

      // Transient failures: retried with backoff, then `unavailable` (or `invalidResponse` for a cut-off body).
      const retryTransient = async (
        why: string,
        kind: 'unavailable' | 'invalidResponse',
        waitMs?: number,
      ): Promise<Either<Failure, 'retry'>> => {
        const w = waitMs ?? backoffMs(transient + 1);
        if (transient >= maxRetries || w > maxWaitMs) {
          const attempts = `${transient + 1} attempt${transient === 0 ? '' : 's'}`;
          return failure(
            kind === 'invalidResponse'
              ? { kind, message: `${at}: ${why} (after ${attempts})`, url: shown, path: '(root)' }
              : { kind, message: `${at}: ${why} (gave up after ${attempts})`, url: shown },
          );
        }
        transient++;
        stats.retries++;
        await waitFor(w);
        return right('retry');
      };

      let res: Response;
      try {
        res = await fetchImpl(url, {
          method: 'GET',
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
          headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', 'client-request-id': requestId, ...extraHeaders },
        });
      } catch (e) {
        // The proxy refused our credentials: retrying would only count against the account.
        if (e instanceof ProxyError && e.kind === 'auth')
          return failure({ kind: 'unauthorized', message: `${at}: ${e.message}`, url: shown });
        const r = await retryTransient(`no response (${errorMessage(e)})`, 'unavailable');
        if (isLeft(r)) return r;
        continue;
      }
      const status = res.status;
      const contentType = res.headers.get('content-type') ?? '';

      if (status >= 200 && status < 300) {
        let text: string;
        try {
          text = await res.text();
        } catch (e) {
          const r = await retryTransient(`the response body was cut off (${errorMessage(e)})`, 'invalidResponse');
          if (isLeft(r)) return r;
          continue;
        }
        if (!/[/+]json\b/i.test(contentType)) {
          return failure({
            kind: 'invalidResponse',
            message: `${at}: expected a JSON body, got ${contentType || 'no content type'} with ${snippet(text)}`,
            url: shown,
            path: '(root)',
          });
        }
        try {
          return right(JSON.parse(text) as unknown);
        } catch (e) {
          return failure({
            kind: 'invalidResponse',
            message: `${at}: the body is not valid JSON (${text.length} characters; truncated?): ${errorMessage(e)}`,
            url: shown,
            path: '(root)',
          });
        }
      }

      let body = '';
      try {
        body = await res.text();
      } catch {
        body = '';
      }
      const d = describeStatus(status, res.statusText, body);

      if (status === 401) {
        if (!refreshed) {
          refreshed = true;
          forceRefresh = true;
          stats.tokenRefreshes++;
          continue;
        }
        return failure({ kind: 'unauthorized', message: `${at}: ${d.text} (refused again with a fresh token)`, url: shown });
      }
      if (status === 403) {
        return failure({
          kind: 'unauthorized',
          message: `${at}: ${d.text} (the app registration needs the application permissions DeviceManagementManagedDevices.Read.All and GroupMember.Read.All, with admin consent)`,
          url: shown,
        });
      }
      if (status === 429) {
        throttled++;
        stats.throttled++;
        const named = parseRetryAfter(res.headers.get('retry-after'), now());
        const waitMs = named ?? backoffMs(throttled);
        if (throttled > maxThrottleRetries || waitMs > maxWaitMs) {
          const why =
            waitMs > maxWaitMs
              ? `Graph asks to wait ${Math.ceil(waitMs / 1000)} s, longer than ${Math.ceil(maxWaitMs / 1000)} s`
              : `still throttled after ${throttled} attempts`;
          return failure({ kind: 'throttled', message: `${at}: ${d.text} (${why})`, url: shown, retryAfterMs: waitMs });
        }
        // Every request of this gateway waits, not only this one: usage keeps accruing while throttled.
        budget.pause(now() + waitMs);
        continue;
      }
      if (status >= 500) {
        const r = await retryTransient(d.text, 'unavailable', parseRetryAfter(res.headers.get('retry-after'), now()));
        if (isLeft(r)) return r;
        continue;
      }
      if (status >= 300 && status < 400) {
        const loc = res.headers.get('location');
        let where = 'elsewhere';
        try {
          if (loc) where = new URL(loc, url).origin;
        } catch {
          /* unparseable */
        }
        return failure({
          kind: 'other',
          message: `${at}: unexpected redirect (${status}) to ${where}; redirects are not followed`,
          url: shown,
        });
      }
      return left({ error: { kind: 'other', message: redact(`${at}: ${d.text}`), url: shown }, status });
    }
  }

  /** The next page's URL, if it stays on Graph's origin. */
  function nextPage(current: string, next: string, seen: Set<string>, pages: number): Either<IntuneError, string> {
    const shown = showUrl(current);
    let u: URL;
    try {
      u = new URL(next, current);
    } catch {
      return fail({
        kind: 'invalidResponse',
        message: `GET ${shown}: @odata.nextLink is not a URL: ${show(next)}`,
        url: shown,
        path: '@odata.nextLink',
      });
    }
    if (u.origin !== origin) {
      return fail({
        kind: 'invalidResponse',
        message: `GET ${shown}: @odata.nextLink points to another origin (${u.protocol}//${u.host}); the token is only sent to ${origin}`,
        url: shown,
        path: '@odata.nextLink',
      });
    }
    if (seen.has(u.href)) {
      return fail({
        kind: 'invalidResponse',
        message: `GET ${shown}: @odata.nextLink repeats an earlier page (a paging loop after ${pages} pages)`,
        url: shown,
        path: '@odata.nextLink',
      });
    }
    if (pages >= MAX_PAGES) {
      return fail({
        kind: 'invalidResponse',
        message: `GET ${shown}: more than ${MAX_PAGES} pages; stopping`,
        url: shown,
        path: '@odata.nextLink',
      });
    }
    return right(u.href);
  }

  async function getManagedDevices(query?: { readonly changedSince?: string }): Promise<Either<IntuneError, ManagedDevice[]>> {
    let url = `${baseHref}/deviceManagement/managedDevices?$select=${MANAGED_DEVICE_SELECT.join(',')}`;
    if (query?.changedSince !== undefined) {
      const ms = Date.parse(query.changedSince);
      if (Number.isNaN(ms)) return fail({ kind: 'other', message: `changedSince is not a date-time: ${show(query.changedSince)}` });
      url += `&$filter=${encodeURIComponent(`lastSyncDateTime gt ${new Date(ms).toISOString()}`)}`;
    }
    const out: ManagedDevice[] = [];
    const seen = new Set<string>([url]);
    for (let pages = 1; ; pages++) {
      const r = await getJson(url);
      if (isLeft(r)) return left(r.left.error);
      const shown = showUrl(url);
      const page = decodeManagedDevicePage(r.right, shown);
      if (isLeft(page)) {
        const errs = page.left;
        const first = errs[0]!;
        const more =
          errs.length > 1
            ? ` (and ${errs.length - 1} more: ${errs.slice(1, 3).map(formatInputError).join('; ')}${errs.length > 3 ? '; …' : ''})`
            : '';
        return fail({
          kind: 'invalidResponse',
          message: `page ${pages} of managed devices: ${formatInputError(first)}${more}`,
          url: shown,
          path: first.path ?? '(root)',
        });
      }
      for (const d of page.right.devices) out.push(d);
      o.onPage?.({ resource: 'managedDevices', pages, items: out.length });
      const next = page.right.nextLink;
      if (next === undefined) return right(out);
      const n = nextPage(url, next, seen, pages);
      if (isLeft(n)) return n;
      seen.add(n.right);
      url = n.right;
    }
  }

  async function membersOf(groupId: string): Promise<Either<IntuneError, Set<string>>> {
    if (typeof groupId !== 'string' || groupId.trim() === '')
      return fail({ kind: 'other', message: `group id must be a non-empty string, got ${show(groupId)}` });
    let url = `${baseHref}/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user?$select=userPrincipalName&$top=999&$count=true`;
    const upns = new Set<string>();
    const seen = new Set<string>([url]);
    for (let pages = 1; ; pages++) {
      // $count and the cast are advanced queries: they need eventual consistency.
      const r = await getJson(url, { ConsistencyLevel: 'eventual' });
      if (isLeft(r)) {
        const e = r.left.error;
        return left({ ...e, message: `group ${groupId}${r.left.status === 404 ? ' not found' : ''}: ${e.message}` });
      }
      const shown = showUrl(url);
      const page = decodeWith(MembersPageC, r.right);
      if (isLeft(page)) {
        const first = page.left[0]!;
        const more = page.left.length > 1 ? ` (and ${page.left.length - 1} more)` : '';
        return fail({
          kind: 'invalidResponse',
          message: `group ${groupId}, page ${pages} of members: GET ${shown}: ${first.path}: ${first.message}${more}`,
          url: shown,
          path: first.path,
        });
      }
      for (const m of page.right.value) upns.add(m.userPrincipalName.toLowerCase());
      o.onPage?.({ resource: 'groupMembers', pages, items: upns.size, groupId });
      const next = page.right['@odata.nextLink'];
      if (next === undefined || next === null) return right(upns);
      const n = nextPage(url, next, seen, pages);
      if (isLeft(n)) return left({ ...n.left, message: `group ${groupId}: ${n.left.message}` });
      seen.add(n.right);
      url = n.right;
    }
  }

  async function getGroupMembers(groupIds: readonly string[]): Promise<Either<IntuneError, GroupMembership>> {
    const out = new Map<string, ReadonlySet<string>>();
    for (const id of new Set(groupIds)) {
      const r = await membersOf(id);
      if (isLeft(r)) return r;
      out.set(id, r.right);
    }
    return right(out);
  }

  return { getManagedDevices, getGroupMembers, stats };
}
