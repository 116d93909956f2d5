// What the Graph gateway is given and what it reports back.
import type { IntuneGateway } from '../../src/ports.js';
import type { Budget } from './budget.js';
import type { TokenProvider } from './token.js';

export const GRAPH_V1 = 'https://graph.microsoft.com/v1.0';

/** The managedDevice properties the engine uses (facts.ts ManagedDevice). */
export const MANAGED_DEVICE_SELECT = [
  'id',
  'easDeviceId',
  'userPrincipalName',
  'emailAddress',
  'complianceState',
  'managementAgent',
  'lastSyncDateTime',
  'complianceGracePeriodExpirationDateTime',
  'deviceName',
  'model',
  'operatingSystem',
] as const;

export interface GraphGatewayOptions {
  /** Default https://graph.microsoft.com/v1.0. Must be https (plain http only for a loopback host). */
  readonly baseUrl?: string;
  readonly tokenProvider: TokenProvider;
  /** Default the global fetch. */
  readonly fetch?: typeof fetch;
  /** Retries after a 5xx, a network failure or a body cut off mid-way. Default 4. */
  readonly maxRetries?: number;
  /** Retries after a 429. Default 8. */
  readonly maxThrottleRetries?: number;
  /** A Retry-After longer than this fails the call (as `throttled`) instead of waiting. Default 5 minutes. */
  readonly maxWaitMs?: number;
  /** Exponential backoff when Graph names no wait: base and cap. Default 1 s doubling to 60 s, with jitter. */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
  /** At most `requests` requests per `perMs`. Default 1,500 per 20 s (Intune allows 2,000 per app per tenant). */
  readonly budget?: Budget;
  /** Per-request timeout (headers and body). Default 100 s, as Graph's own. */
  readonly timeoutMs?: number;
  /** Injectable for tests. It must really wait, or move `now` forward by `ms` (the budget re-checks the clock after it). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter. Injectable for tests. */
  readonly random?: () => number;
  /** Milliseconds since the epoch: the budget's clock and HTTP-date Retry-After. Injectable for tests. */
  readonly now?: () => number;
  /** Called after every page (for progress output). */
  readonly onPage?: (p: {
    readonly resource: 'managedDevices' | 'groupMembers';
    readonly pages: number;
    readonly items: number;
    readonly groupId?: string;
  }) => void;
}

export interface GraphStats {
  /** HTTP requests sent (retries included). */
  requests: number;
  /** Requests answered 429. */
  throttled: number;
  /** Retries after a 5xx, a network failure or a cut-off body. */
  retries: number;
  tokenRefreshes: number;
  /** Milliseconds waited: Retry-After, backoff, and the request budget. */
  waitedMs: number;
}

export interface GraphIntuneGateway extends IntuneGateway {
  readonly stats: GraphStats;
}
