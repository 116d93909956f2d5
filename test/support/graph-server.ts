// A loopback HTTP server that behaves like Microsoft Graph v1.0 for the two
// resources the Intune gateway reads: /deviceManagement/managedDevices (pages
// with @odata.nextLink, $select, `$filter=lastSyncDateTime gt …`) and
// /groups/{id}/transitiveMembers/microsoft.graph.user. Bearer tokens are
// checked (401 with Graph's error body otherwise). Faults are scripted per
// request: a status (429 with or without Retry-After, 503, 401 …), a 200 HTML
// page, a truncated JSON body, a body cut off mid-way (socket destroyed), a
// wrong shape, or a replaced nextLink.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export type GraphRecord = Record<string, unknown>;

export interface RecordedRequest {
  readonly method: string;
  /** Absolute URL as received. */
  readonly url: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authorization?: string;
  readonly consistencyLevel?: string;
  readonly resource: 'managedDevices' | 'groupMembers' | 'other';
}

export type Fault =
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly retryAfter?: string;
      readonly body?: string;
      readonly contentType?: string;
      readonly headers?: Record<string, string>;
    }
  /** 200 text/html: a sign-in or proxy page instead of JSON. */
  | { readonly kind: 'html' }
  /** 200 application/json whose body ends half-way (the response itself is complete). */
  | { readonly kind: 'truncated' }
  /** 200 announcing the full Content-Length, half sent, then the connection is destroyed. */
  | { readonly kind: 'cut' }
  /** 200 with the real page passed through `mutate`. */
  | { readonly kind: 'shape'; readonly mutate: (page: GraphRecord) => unknown }
  /** The real page, with @odata.nextLink replaced. */
  | { readonly kind: 'nextLink'; readonly nextLink: string };

export interface FaultOptions {
  /** How many matching requests get the fault. Default 1. */
  readonly times?: number;
  /** Which requests; default every request. */
  readonly match?: (r: RecordedRequest) => boolean;
}

export interface GraphServerOptions {
  /** Managed devices as Graph JSON records (every property; `$select` projects them). */
  readonly devices: readonly GraphRecord[];
  /** Group id -> user principal names (as the directory spells them). */
  readonly groups?: Readonly<Record<string, readonly string[]>>;
  /** Managed devices per page. Default 100 (Graph: 1,000). */
  readonly pageSize?: number;
  /** Cap on members per page (Graph honours $top up to 999). */
  readonly memberPageSize?: number;
  /** Accepted bearer tokens. Default ['graph-token-1']. */
  readonly tokens?: readonly string[];
}

const graphError = (code: string, message: string) =>
  JSON.stringify({
    error: { code, message, innerError: { date: '2026-11-26T08:00:00', 'request-id': randomUUID(), 'client-request-id': randomUUID() } },
  });

const DEFAULT_ERRORS: Record<number, [string, string]> = {
  400: ['BadRequest', 'Bad request'],
  401: ['InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'],
  403: ['Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'],
  404: ['Request_ResourceNotFound', 'Resource not found.'],
  429: ['TooManyRequests', 'Too many requests, please retry after some time.'],
  500: ['InternalServerError', 'An internal server error occurred.'],
  502: ['BadGateway', 'Bad gateway.'],
  503: ['ServiceUnavailable', 'The service is temporarily unavailable.'],
  504: ['GatewayTimeout', 'Gateway timeout.'],
};

export class GraphServer {
  readonly requests: RecordedRequest[] = [];
  devices: GraphRecord[];
  groups: Map<string, string[]>;
  readonly tokens: Set<string>;
  private readonly faults: Array<{ fault: Fault; remaining: number; match?: (r: RecordedRequest) => boolean }> = [];
  private server?: Server;
  private base = '';

  constructor(private readonly o: GraphServerOptions) {
    this.devices = [...o.devices];
    this.groups = new Map(Object.entries(o.groups ?? {}).map(([k, v]) => [k, [...v]]));
    this.tokens = new Set(o.tokens ?? ['graph-token-1']);
  }

  /** e.g. http://127.0.0.1:41234/v1.0 */
  get url(): string {
    return `${this.base}/v1.0`;
  }
  get origin(): string {
    return this.base;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.base = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  fault(fault: Fault, options: FaultOptions = {}): void {
    this.faults.push({ fault, remaining: options.times ?? 1, ...(options.match ? { match: options.match } : {}) });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  count(resource: RecordedRequest['resource']): number {
    return this.requests.filter((r) => r.resource === resource).length;
  }

  // ------------------------------------------------------------ internals
  private takeFault(r: RecordedRequest): Fault | undefined {
    const i = this.faults.findIndex((f) => f.remaining > 0 && (!f.match || f.match(r)));
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (--f.remaining <= 0) this.faults.splice(i, 1);
    return f.fault;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.base);
    const path = decodeURIComponent(url.pathname);
    const resource: RecordedRequest['resource'] =
      path === '/v1.0/deviceManagement/managedDevices'
        ? 'managedDevices'
        : /^\/v1\.0\/groups\/[^/]+\/transitiveMembers\/microsoft\.graph\.user$/.test(path)
          ? 'groupMembers'
          : 'other';
    const auth = req.headers.authorization;
    const cl = req.headers['consistencylevel'];
    const r: RecordedRequest = {
      method: req.method ?? 'GET',
      url: url.href,
      path,
      query: url.searchParams,
      resource,
      ...(auth !== undefined ? { authorization: auth } : {}),
      ...(typeof cl === 'string' ? { consistencyLevel: cl } : {}),
    };
    this.requests.push(r);
    const fault = this.takeFault(r);

    if (fault?.kind === 'status') {
      const [code, message] = DEFAULT_ERRORS[fault.status] ?? ['Error', `HTTP ${fault.status}`];
      const headers: Record<string, string> = { 'content-type': fault.contentType ?? 'application/json', ...(fault.headers ?? {}) };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      res.writeHead(fault.status, headers).end(fault.body ?? graphError(code, message));
      return;
    }
    if (fault?.kind === 'html') {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end('<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body><form>…</form></body></html>');
      return;
    }

    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (token === undefined || !this.tokens.has(token)) {
      res
        .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="", error="invalid_token"' })
        .end(graphError('InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'));
      return;
    }

    let status = 200;
    let page: GraphRecord;
    if (resource === 'managedDevices') {
      const r2 = this.devicePage(url);
      if ('error' in r2) {
        status = 400;
        page = r2;
      } else page = r2;
    } else if (resource === 'groupMembers') {
      const id = path.split('/')[3]!;
      const members = this.groups.get(id);
      if (!members) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(
            graphError(
              'Request_ResourceNotFound',
              `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
            ),
          );
        return;
      }
      page = this.memberPage(url, members);
    } else {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(graphError('BadRequest', `Resource not found for the segment '${path.split('/').pop() ?? ''}'.`));
      return;
    }

    if (status !== 200) {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(page));
      return;
    }
    let out: unknown = page;
    if (fault?.kind === 'shape') out = fault.mutate(page);
    if (fault?.kind === 'nextLink') out = { ...page, '@odata.nextLink': fault.nextLink };
    const body = JSON.stringify(out);
    const json = { 'content-type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8' };
    if (fault?.kind === 'truncated') {
      res.writeHead(200, json).end(body.slice(0, Math.floor(body.length / 2)));
      return;
    }
    if (fault?.kind === 'cut') {
      const bytes = Buffer.from(body);
      res.writeHead(200, { ...json, 'content-length': String(bytes.length) });
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
        res.socket?.destroy();
      });
      return;
    }
    res.writeHead(200, json).end(body);
  }

  private devicePage(url: URL): GraphRecord {
    const select = url.searchParams
      .get('$select')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const filter = url.searchParams.get('$filter');
    let list = this.devices;
    if (filter !== null) {
      const m = /^lastSyncDateTime gt (\S+)$/.exec(filter);
      const since = m ? Date.parse(m[1]!) : NaN;
      if (Number.isNaN(since)) return JSON.parse(graphError('BadRequest', `Invalid filter clause: '${filter}'`)) as GraphRecord;
      list = list.filter((d) => typeof d['lastSyncDateTime'] === 'string' && Date.parse(d['lastSyncDateTime']) > since);
    }
    const offset = skip(url);
    const size = this.o.pageSize ?? 100;
    const value = list
      .slice(offset, offset + size)
      .map((d) => (select ? project(d, select) : { '@odata.type': '#microsoft.graph.managedDevice', ...d }));
    const page: GraphRecord = {
      '@odata.context': `${this.url}/$metadata#deviceManagement/managedDevices${select ? `(${select.join(',')})` : ''}`,
      value,
    };
    if (offset + size < list.length) page['@odata.nextLink'] = nextLink(url, offset + size);
    return page;
  }

  private memberPage(url: URL, members: readonly string[]): GraphRecord {
    const top = Math.min(Number(url.searchParams.get('$top') ?? 100) || 100, 999, this.o.memberPageSize ?? 999);
    const offset = skip(url);
    const value = members
      .slice(offset, offset + top)
      .map((upn, i) => ({ '@odata.type': '#microsoft.graph.user', id: `u-${offset + i}`, userPrincipalName: upn }));
    const page: GraphRecord = { '@odata.context': `${this.url}/$metadata#users(userPrincipalName)`, value };
    if (url.searchParams.get('$count') === 'true') page['@odata.count'] = members.length;
    if (offset + top < members.length) page['@odata.nextLink'] = nextLink(url, offset + top);
    return page;
  }
}

function project(d: GraphRecord, select: readonly string[]): GraphRecord {
  const out: GraphRecord = {};
  for (const k of select) out[k] = k in d ? d[k] : null;
  return out;
}

function skip(url: URL): number {
  const tok = url.searchParams.get('$skiptoken');
  if (tok === null) return 0;
  const m = /^offset:(\d+)$/.exec(Buffer.from(tok, 'base64url').toString());
  return m ? Number(m[1]) : 0;
}

function nextLink(url: URL, offset: number): string {
  const u = new URL(url.href);
  u.searchParams.set('$skiptoken', Buffer.from(`offset:${offset}`).toString('base64url'));
  // Graph writes `$` and `,` unescaped in its links
  return u.href.replace(/%24/g, '$').replace(/%2C/gi, ',');
}

export async function startGraphServer(o: GraphServerOptions): Promise<GraphServer> {
  return new GraphServer(o).start();
}
