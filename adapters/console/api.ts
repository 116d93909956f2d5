// The console's JSON API (documented in the README, "The admin console"):
// request in (method, path, query, body text), answer out. No HTTP here: the
// listener (status-server) owns sockets, credentials, headers and limits.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { ExchangeCommand } from '../../src/commands.js';
import type { WhatIfCommand } from '../../projections/index.js';
import type { SyncKind } from '../../src/connector.js';
import type { SyncReport } from '../../src/engine.js';
import { parseInstant } from '../../src/codec.js';
import { overrideAction, wipeAction } from './actions.js';
import { devicePage, devicesCsv, MAX_PAGE_SIZE, reasonCounts, SORT_KEYS, type DeviceQuery, type SortKey } from './devices.js';
import { durationSeconds, type SyncRow } from './history.js';
import type { ModelCache } from './model.js';
import type { ConsoleEngine, ConsoleLog, ReadFailure } from './source.js';

export interface ApiAnswer {
  readonly status: number;
  /** JSON value, or text with its content type. */
  readonly json?: unknown;
  readonly text?: string | Iterable<string>;
  readonly headers?: Record<string, string>;
}

export interface ConsoleApiOptions {
  readonly log: ConsoleLog;
  readonly models: ModelCache;
  /** `run`: served by `eas-sync run` (live status, sync buttons); `read-only`: `eas-sync console` over a log. */
  readonly mode: 'run' | 'read-only';
  /** The running engine, once it is started (run mode). */
  readonly engine?: () => ConsoleEngine | undefined;
  readonly now: () => number;
}

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body?: string;
  /** Who asked (for the log line of a change). */
  readonly caller: string;
}

/** The API routes and their methods: anything else under /api/ is 404, a wrong method 405. */
export const API_ROUTES: Readonly<Record<string, readonly string[]>> = {
  '/api/session': ['GET'],
  '/api/overview': ['GET'],
  '/api/devices': ['GET'],
  '/api/devices.csv': ['GET'],
  '/api/device': ['GET'],
  '/api/what-if': ['POST'],
  '/api/syncs': ['GET', 'POST'],
  '/api/jobs': ['GET'],
  '/api/overrides': ['POST'],
  '/api/wipes': ['POST'],
};

const bad = (message: string): ApiAnswer => ({ status: 400, json: { error: message } });
const failure = (f: ReadFailure): ApiAnswer =>
  f.kind === 'notFound'
    ? { status: 404, json: { error: f.message, closest: f.closest ?? [] } }
    : f.kind === 'badInput'
      ? bad(f.message)
      : { status: 502, json: { error: f.message } };

interface Job {
  readonly id: string;
  readonly kind: SyncKind;
  readonly requestedAt: string;
  readonly caller: string;
  state: 'queued' | 'finished' | 'failed';
  report?: SyncReport;
  error?: string;
}

/** Keeps the last forced syncs (and every report of this process) for the pages to follow. */
const JOBS_KEPT = 100;

export function consoleApi(o: ConsoleApiOptions) {
  const jobs = new Map<string, Job>();
  const reports = new Map<string, SyncReport>();
  let jobCounter = 0;
  const iso = (ms: number) => new Date(ms).toISOString();

  const query = (q: URLSearchParams): DeviceQuery | string => {
    const access = q.get('access') || undefined;
    if (access !== undefined && access !== 'allow' && access !== 'block' && access !== 'quarantine')
      return 'access must be allow, block or quarantine';
    const governed = q.get('governed') || undefined;
    if (governed !== undefined && governed !== 'true' && governed !== 'false') return 'governed must be true or false';
    const sort = (q.get('sort') || 'deviceId') as SortKey;
    if (!SORT_KEYS.includes(sort)) return `sort must be one of ${SORT_KEYS.join(', ')}`;
    const order = q.get('order') || 'asc';
    if (order !== 'asc' && order !== 'desc') return 'order must be asc or desc';
    const page = Number(q.get('page') || '1');
    const pageSize = Number(q.get('pageSize') || '50');
    if (!Number.isInteger(page) || page < 1) return 'page must be a whole number from 1';
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) return `pageSize must be 1 to ${MAX_PAGE_SIZE}`;
    const reason = q.get('reason') || undefined;
    const text = q.get('q') || undefined;
    if (text !== undefined && text.length > 200) return 'q is at most 200 characters';
    return {
      ...(access ? { access } : {}),
      ...(reason ? { reason } : {}),
      ...(governed ? { governed: governed === 'true' } : {}),
      ...(text ? { q: text } : {}),
      sort,
      order,
      page,
      pageSize,
    };
  };

  const atParam = (q: URLSearchParams): string | undefined | { error: string } => {
    const at = q.get('at');
    if (!at) return undefined;
    const ms = parseInstant(at);
    return isLeft(ms) ? { error: `at: ${ms.left}` } : iso(ms.right);
  };

  const syncRow = (r: SyncRow) => {
    const report = reports.get(r.syncId);
    return {
      ...r,
      durationSeconds: durationSeconds(r) ?? null,
      ...(report ? { throttleWaits: report.commands.throttleWaits, throttleWaitMs: report.commands.throttleWaitMs } : {}),
    };
  };

  const setCas = (c: WhatIfCommand): ExchangeCommand => ({
    kind: 'setCasMailbox',
    mailbox: c.mailbox,
    allowedDeviceIds: { add: [...c.allowedDeviceIds.add], remove: [...c.allowedDeviceIds.remove] },
    blockedDeviceIds: { add: [...c.blockedDeviceIds.add], remove: [...c.blockedDeviceIds.remove] },
  });

  const remember = (r: SyncReport) => {
    reports.set(r.syncId, r);
    if (reports.size > JOBS_KEPT) reports.delete(reports.keys().next().value!);
  };

  const track = (kind: SyncKind, caller: string): Job => {
    const job: Job = { id: `job-${++jobCounter}`, kind, requestedAt: iso(o.now()), caller, state: 'queued' };
    jobs.set(job.id, job);
    if (jobs.size > JOBS_KEPT) jobs.delete(jobs.keys().next().value!);
    o.engine!()!
      .requestSync(kind)
      .then(
        (r) => {
          job.report = r;
          job.state = r.success ? 'finished' : 'failed';
          remember(r);
        },
        (e: unknown) => {
          job.state = 'failed';
          job.error = e instanceof Error ? e.message : String(e);
        },
      );
    return job;
  };

  const jobView = (j: Job) => ({
    id: j.id,
    kind: j.kind,
    requestedAt: j.requestedAt,
    requestedBy: j.caller,
    state: j.state,
    ...(j.report
      ? {
          syncId: j.report.syncId,
          success: j.report.success,
          startedAt: j.report.startedAt,
          completedAt: j.report.completedAt,
          devices: j.report.devices,
          commands: j.report.commands,
          errors: j.report.errors.map((e) => e.kind),
        }
      : {}),
    ...(j.error ? { error: j.error } : {}),
  });

  return {
    /** Remembers a report of this process's engine (scheduled syncs too): the log has no throttling waits. */
    recordReport: remember,

    async handle(req: ApiRequest): Promise<ApiAnswer> {
      const methods = API_ROUTES[req.path];
      if (!methods) return { status: 404, json: { error: 'not found', routes: Object.keys(API_ROUTES) } };
      if (!methods.includes(req.method))
        return { status: 405, json: { error: `use ${methods.join(' or ')}` }, headers: { allow: methods.join(', ') } };

      const engine = o.engine?.();
      if (req.path === '/api/session') return { status: 200, json: { mode: o.mode, log: o.log.display } };

      if (req.path === '/api/what-if') {
        const policy = o.log.parsePolicy(req.body ?? '');
        if (isLeft(policy)) return failure(policy.left);
        const at = atParam(req.query);
        if (typeof at === 'object') return bad(at.error);
        const r = await o.log.whatIf(policy.right, at);
        if (isLeft(r)) return failure(r.left);
        const w = r.right;
        const commands = w.commands.map(setCas);
        const script = [
          `# eas-sync what-if over ${o.log.display}, judged at ${w.at}: ${commands.length} Set-CasMailbox command(s), ${w.orgCommands.length} organization command(s).`,
          '# Review only: nothing was enforced. Every value is a single-quoted literal; invisible and control characters are [char] codes.',
          ...w.orgCommands.map((c) => o.log.powershell(c)),
          ...commands.map((c) => o.log.powershell(c)),
        ].join('\n');
        return { status: 200, json: { ...w, script } };
      }

      if (req.path === '/api/syncs' && req.method === 'POST') {
        if (o.mode !== 'run')
          return { status: 405, json: { error: 'read-only console: syncs run only under eas-sync run' }, headers: { allow: 'GET' } };
        if (!engine) return { status: 503, json: { error: 'starting' }, headers: { 'retry-after': '5' } };
        let kind: unknown;
        try {
          kind = (JSON.parse(req.body ?? '') as { kind?: unknown }).kind;
        } catch {
          return bad('send a JSON body {"kind": "quick" | "full"}');
        }
        if (kind !== 'quick' && kind !== 'full') return bad('kind must be quick or full');
        return { status: 202, json: jobView(track(kind, req.caller)) };
      }

      if (req.path === '/api/overrides' || req.path === '/api/wipes') {
        const wipe = req.path === '/api/wipes';
        if (o.mode !== 'run')
          return {
            status: 405,
            json: {
              error: `read-only console: ${wipe ? 'wipes are requested' : 'overrides are recorded'} under eas-sync run or with eas-sync ${wipe ? 'wipe' : 'override'}`,
            },
          };
        if (!engine) return { status: 503, json: { error: 'starting' }, headers: { 'retry-after': '5' } };
        const r = wipe ? await wipeAction(engine, req.body) : await overrideAction(engine, req.body, o.now());
        if (isLeft(r)) return r.left;
        // Enforced (or sent) now: the quick sync that follows acts on it.
        const job = track('quick', req.caller);
        return { status: 200, json: { ...r.right, events: r.right.events.map((e) => e.type), job: job.id } };
      }

      if (req.path === '/api/jobs') {
        const job = jobs.get(req.query.get('id') ?? '');
        return job ? { status: 200, json: jobView(job) } : { status: 404, json: { error: 'no such job' } };
      }

      if (req.path === '/api/device') {
        // `device` carries the id as a JSON string (any UTF-16 text survives); `id` is the plain form for people and scripts.
        const asJson = req.query.get('device');
        let id = req.query.get('id');
        if (asJson !== null) {
          let v: unknown;
          try {
            v = JSON.parse(asJson);
          } catch {
            v = undefined;
          }
          if (typeof v !== 'string') return bad('device must be a JSON string');
          id = v;
        }
        if (!id) return bad('id (or device, as a JSON string) is required');
        const at = atParam(req.query);
        if (typeof at === 'object') return bad(at.error);
        const x = await o.log.explain(id, at);
        if (isLeft(x)) return failure(x.left);
        return { status: 200, json: { ...x.right, powershell: x.right.command ? o.log.powershell(x.right.command.command) : null } };
      }

      const m = await o.models.current();
      if (isLeft(m)) return failure(m.left);
      const model = m.right;

      if (req.path === '/api/overview') {
        const r = model.replay;
        const live = engine?.status();
        const syncs = model.history.syncs;
        return {
          status: 200,
          json: {
            mode: o.mode,
            log: o.log.display,
            events: r.events,
            invalidLines: model.invalidLines,
            devices: r.devices,
            access: r.access,
            reasons: reasonCounts(model.devices),
            connector: live
              ? {
                  organization: live.organization,
                  status: live.status,
                  fenced: live.fenced,
                  lastSuccessfulSync: live.lastSuccessfulSync,
                  cas: live.cas ?? null,
                  servers: live.servers,
                  pendingIntents: live.pendingIntents,
                  lastError: live.lastError ?? null,
                  syncing: live.syncing ?? null,
                }
              : {
                  organization: r.connector.organization ?? null,
                  status: r.connector.status,
                  fenced: false,
                  lastSuccessfulSync: r.lastSuccessfulSync ?? {},
                  cas: r.connector.servers[0] ?? null,
                  servers: r.connector.servers,
                  pendingIntents: r.pendingIntents,
                  lastError: r.connector.lastError ?? null,
                  syncing: null,
                },
            drift: r.drift,
            driftBySync: syncs
              .filter((s) => s.kind === 'full' && s.drift > 0)
              .map((s) => ({ syncId: s.syncId, at: s.startedAt, drift: s.drift })),
            policyRevision: r.policyRevision,
            chart: syncs
              .filter((s) => s.access !== undefined && s.completedAt !== undefined)
              .map((s) => ({ at: s.completedAt, kind: s.kind, ...s.access })),
            foldedAt: iso(model.foldedAt),
            foldMs: model.foldMs,
          },
        };
      }

      if (req.path === '/api/devices' || req.path === '/api/devices.csv') {
        const q = query(req.query);
        if (typeof q === 'string') return bad(q);
        if (req.path === '/api/devices.csv')
          return {
            status: 200,
            text: devicesCsv(model.devices, q),
            headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="devices.csv"' },
          };
        return { status: 200, json: devicePage(model.devices, q) };
      }

      // GET /api/syncs: newest first.
      const rows = model.history.syncs.slice().reverse().map(syncRow);
      return { status: 200, json: { syncs: rows, running: engine?.status().syncing ?? null } };
    },
  };
}

export type ConsoleApi = ReturnType<typeof consoleApi>;
