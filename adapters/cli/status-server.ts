// The status endpoint of `eas-sync run`:
//   GET /status   the connector status projection as JSON
//   GET /healthz  200 while healthy, 503 with the reasons (JSON)
//   GET /metrics  Prometheus text
//   POST /sync?type=quick|full[&wait=true]
// Nothing a client sends can end the process: every request is answered by a
// total handler, and an unexpected error is a 500 for that request alone.
// The listener is bound before anything else is opened, so a bad address
// creates nothing; shutdown is bounded (drain, then close every connection).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Socket } from 'node:net';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { ConnectorStatusView, EngineMetrics, SyncReport } from '../../src/engine.js';
import type { SyncKind } from '../../src/connector.js';
import { renderMetrics } from './metrics.js';
import { healthOf } from './health.js';
import { isLoopback, type ListenAddress } from './listen.js';
import { callerOf, hostAllowed, isJsonContentType, originAllowed, tokenMatches } from './status-auth.js';
import type { ConsoleApi } from '../console/api.js';
import { readBody, SECURITY_HEADERS, SHELL_PATHS, writeAnswer, type Asset } from '../console/http.js';

/** What the endpoint serves; the engine, or a stand-in in tests. */
export interface StatusTarget {
  status(): ConnectorStatusView;
  metrics(): EngineMetrics;
  requestSync(kind: SyncKind): Promise<SyncReport>;
}

export interface StatusServerOptions {
  readonly listen: ListenAddress;
  /** Required on POST /sync and every /api/ request, and on every request when the listener is not loopback (the console's static shell excepted). */
  readonly token?: string;
  /** Host header names served besides `localhost`, IP literals and the listen host. */
  readonly allowedHosts?: readonly string[];
  readonly healthMaxFullSyncAgeMinutes: number;
  readonly now?: () => number;
  /** One line per forced sync and per unexpected error (never a token). */
  readonly log?: (line: string) => void;
  /** The admin console (its shell and /api/…), when served. */
  readonly console?: { readonly api: ConsoleApi; readonly assets: ReadonlyMap<string, Asset> };
  /** `console`: the read-only console over a log (`eas-sync console`): no /status, /healthz, /metrics or /sync. */
  readonly mode?: 'run' | 'console';
  /** Serve HTTPS with this certificate and key (PEM). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Slow clients: how long the headers (default 15 s) and the whole request (default 30 s) may take to arrive. */
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Name resolution of the listen host (tests inject failures). */
  readonly lookup?: (host: string) => Promise<{ address: string; family: number }>;
}

export interface StatusServer {
  /** `http://host:port` as bound. */
  readonly url: string;
  /** Serve this target; until then every request is a 503. */
  attach(target: StatusTarget): void;
  /** Stop taking work: POST /sync is a 503, /healthz says stopping, no new connections, idle ones closed. */
  drain(): void;
  /** Drains, waits up to `graceMs` for connections to finish, then closes the rest. */
  close(graceMs: number): Promise<void>;
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
const ENDPOINTS = ['GET /status', 'GET /healthz', 'GET /metrics', 'POST /sync?type=quick|full[&wait=true]'];

/** The request target as path and query, or undefined for one we do not serve. Never throws. */
export function parseTarget(target: string | undefined): { path: string; query: URLSearchParams } | undefined {
  if (!target || !target.startsWith('/') || target.startsWith('//')) return undefined;
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
  return { path, query };
}

/** Without the token, a report is summarised: its issues name users' mailboxes and devices. */
function publicReport(r: SyncReport): unknown {
  return { ...r, warnings: r.warnings.map((w) => ({ kind: w.kind })), errors: r.errors.map((e) => ({ kind: e.kind })), redacted: true };
}

/** Binds the listener; a bad address is a message naming what failed (never a throw). */
export async function listenStatus(o: StatusServerOptions): Promise<Either<string, StatusServer>> {
  const where = o.listen.host.includes(':') ? `[${o.listen.host}]:${o.listen.port}` : `${o.listen.host}:${o.listen.port}`;
  let address: string;
  try {
    address = (await (o.lookup ?? ((h: string) => dnsLookup(h)))(o.listen.host)).address;
  } catch (err) {
    return left(`cannot resolve "${o.listen.host}" (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  // Loopback only when both the name as configured and the address it resolved to are.
  const tokenForAll = !(isLoopback(o.listen.host) && isLoopback(address));
  if (tokenForAll && o.token === undefined) {
    // config.ts refuses non-loopback names without a token; this also catches `localhost` resolving elsewhere.
    return left(`"${o.listen.host}" (${address}) is reachable from other machines; set console.tokenEnv or listen on 127.0.0.1`);
  }
  if (tokenForAll && o.tls === undefined) {
    // The token would cross the network in the clear.
    return left(
      `"${o.listen.host}" (${address}) is reachable from other machines; configure status.tls (certFile, keyFile) or listen on 127.0.0.1`,
    );
  }
  const scheme = o.tls ? 'https' : 'http';
  const now = o.now ?? (() => Date.now());
  const log = o.log ?? (() => {});
  const names = new Set([o.listen.host.toLowerCase(), ...(o.allowedHosts ?? []).map((h) => h.toLowerCase().replace(/\.$/, ''))]);
  let target: StatusTarget | undefined;
  let draining = false;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const send = (code: number, body: string, headers: Record<string, string> = {}) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(code, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'cache-control': 'no-store',
        ...SECURITY_HEADERS,
        ...(draining ? { connection: 'close' } : {}),
        ...headers,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const fail = (code: number, error: string, headers?: Record<string, string>) => send(code, json({ error }), headers);

    const t = parseTarget(req.url);
    if (!t) return fail(400, 'bad request target');
    if (!hostAllowed(req.headers.host, names))
      return fail(403, 'Host header not allowed (add the name clients use to status.allowedHosts)');
    const get = req.method === 'GET' || req.method === 'HEAD';
    const shell = o.console ? SHELL_PATHS[t.path] : undefined;
    if (shell !== undefined) {
      // The shell carries no organization data, and a browser cannot put a header on a navigation: it is served
      // without the token and asks for it; every /api/ request then carries it.
      if (!get) return fail(405, 'use GET', { allow: 'GET' });
      const a = o.console!.assets.get(shell)!;
      return send(200, a.body.toString('utf8'), { 'content-type': a.type, 'cache-control': 'no-cache' });
    }
    const authenticated = o.token !== undefined && tokenMatches(o.token, req.headers.authorization);
    const unauthorized = () => fail(401, 'token required: Authorization: Bearer <token>', { 'www-authenticate': 'Bearer' });
    // With a token configured, every request carries it — but the shell (above) and /healthz on loopback: a local
    // probe (systemd, a load balancer's agent) reads health without a secret, and health names no device or user.
    const probe = t.path === '/healthz' && !tokenForAll;
    if (o.token !== undefined && !authenticated && !probe) return unauthorized();
    if (o.console && (t.path === '/api' || t.path.startsWith('/api/'))) {
      if (req.method === 'POST') {
        if (!originAllowed(req.headers.origin, req.headers.host, scheme)) return fail(403, 'cross-origin requests are refused');
        if (o.token === undefined && !isJsonContentType(req.headers['content-type']))
          return fail(415, 'send Content-Type: application/json');
        if (draining) return fail(503, 'stopping: no new work is taken');
      }
      const api = o.console.api;
      const caller = callerOf(req.headers['x-eas-sync-caller']);
      const who = `${authenticated ? 'console token' : 'console (loopback, no token)'}${caller ? ` caller ${JSON.stringify(caller)}` : ''} from ${req.socket.remoteAddress ?? '?'}`;
      const base = { 'cache-control': 'no-store', ...SECURITY_HEADERS, ...(draining ? { connection: 'close' } : {}) };
      const body = req.method === 'POST' ? readBody(req) : Promise.resolve(undefined);
      void body
        .then(async (text) => {
          if (text === 'tooLarge') {
            writeAnswer(res, { status: 413, json: { error: 'request body too large' }, headers: { connection: 'close' } }, base, false);
            return;
          }
          if (req.method === 'POST' && t.path === '/api/syncs') log(`POST /api/syncs requested by ${who}`);
          const a = await api.handle({
            method: req.method === 'HEAD' ? 'GET' : (req.method ?? ''),
            path: t.path,
            query: t.query,
            ...(text !== undefined ? { body: text } : {}),
            caller: who,
          });
          writeAnswer(res, a, base, req.method === 'HEAD');
        })
        .catch((err: unknown) => {
          log(`internal error answering ${req.method ?? '?'} ${t.path}: ${err instanceof Error ? err.message : String(err)}`);
          writeAnswer(res, { status: 500, json: { error: 'internal error; see the log' } }, base, false);
        });
      return;
    }
    if (o.mode === 'console') return send(404, json({ error: 'not found: this read-only console serves / and /api/…' }));
    if (!target) return fail(503, 'starting', { 'retry-after': '5' });

    if (t.path === '/status' && get) return send(200, json(target.status()));
    if (t.path === '/healthz' && get) {
      const h = healthOf(target.status(), now(), o.healthMaxFullSyncAgeMinutes, draining);
      return send(h.healthy ? 200 : 503, json(h));
    }
    if (t.path === '/metrics' && get)
      return send(200, renderMetrics(target.status(), target.metrics()), { 'content-type': 'text/plain; version=0.0.4' });
    if (t.path === '/sync') {
      if (req.method !== 'POST') return fail(405, 'use POST', { allow: 'POST' });
      if (!originAllowed(req.headers.origin, req.headers.host, scheme)) return fail(403, 'cross-origin requests are refused');
      // Without a token, a JSON content type: a cross-site form or simple request cannot send one without a CORS preflight, which is never granted.
      if (o.token === undefined && !isJsonContentType(req.headers['content-type'])) return fail(415, 'send Content-Type: application/json');
      if (draining) return fail(503, 'stopping: no new syncs are taken');
      const type = t.query.get('type') ?? 'quick';
      if (type !== 'quick' && type !== 'full') return fail(400, 'type must be quick or full');
      const caller = callerOf(req.headers['x-eas-sync-caller']);
      const requestedBy = `${authenticated ? 'status-api token' : 'status-api (loopback, no token)'}${caller ? ` caller ${JSON.stringify(caller)}` : ''}`;
      log(`POST /sync type=${type} requested by ${requestedBy} from ${req.socket.remoteAddress ?? '?'}`);
      const done = target.requestSync(type);
      if (t.query.get('wait') === 'true') {
        done
          .then(
            (r) => send(r.success ? 200 : 500, json(authenticated ? r : publicReport(r))),
            (e: unknown) => {
              log(`sync failed: ${String(e)}`);
              fail(500, 'sync failed; see the log');
            },
          )
          .catch(() => {
            res.destroy();
          });
        return;
      }
      done.catch(() => {
        /* the report is in the log and the status */
      });
      return send(202, json({ queued: type, requestedBy }));
    }
    send(404, json({ error: 'not found', endpoints: o.console ? [...ENDPOINTS, 'GET / (console)', 'GET|POST /api/…'] : ENDPOINTS }));
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    // A client that goes away mid-request must not become an unhandled 'error'.
    req.on('error', () => {});
    res.on('error', () => {});
    try {
      handle(req, res);
    } catch (err) {
      log(`internal error answering ${req.method ?? '?'} request: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) {
        try {
          res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
          res.end(json({ error: 'internal error' }));
        } catch {
          res.destroy();
        }
      } else res.destroy();
    }
  };
  const headersTimeout = o.headersTimeoutMs ?? 15_000;
  // Node enforces the two timeouts below only when it checks its connections, every 30 s
  // by default: a 15 s bound would really be up to 45 s. Check at least every second.
  const checking = { connectionsCheckingInterval: Math.min(1_000, headersTimeout) };
  const server: Server = o.tls
    ? createTlsServer({ ...checking, cert: o.tls.cert, key: o.tls.key }, onRequest)
    : createServer(checking, onRequest);
  // Every socket, including one that never sent a byte: shutdown ends them all.
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  // Slow clients: bound how long a request may take to arrive.
  server.headersTimeout = headersTimeout;
  server.requestTimeout = o.requestTimeoutMs ?? 30_000;
  // Accept errors after listening (EMFILE, …) must not end the process.
  const bound = await new Promise<Either<string, true>>((res) => {
    const onError = (err: NodeJS.ErrnoException) => res(left(`cannot listen on ${where} (${err.code ?? err.message})`));
    server.once('error', onError);
    server.listen(o.listen.port, address, () => {
      server.off('error', onError);
      res(right(true));
    });
  });
  if (bound._tag === 'Left') return bound;
  server.on('error', (err) => log(`status listener: ${err.message}`));

  const a = server.address();
  const url =
    typeof a === 'object' && a ? `${scheme}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : `http://${where}`;

  let closed: Promise<void> | undefined;
  const drain = () => {
    if (draining) return;
    draining = true;
    closed = new Promise<void>((res) => server.close(() => res()));
    server.closeIdleConnections();
  };
  return right({
    url,
    attach(t) {
      target = t;
    },
    drain,
    async close(graceMs) {
      drain();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        closed,
        new Promise<void>((res) => {
          timer = setTimeout(res, graceMs);
        }),
      ]);
      clearTimeout(timer);
      // Stalled and silent connections: whatever is left after the grace.
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await closed;
    },
  });
}
