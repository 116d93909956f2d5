// Structured diagnostic logs for the connector: JSON lines (pino) with levels,
// to stderr or a file, for every sync start and end, throttling wait, CAS
// switch, command failure and notification failure. They are read off what
// the engine already produces: the events it appends (a store that reports
// each acknowledged append) and the answers of the Exchange gateway (a
// throttled answer is a wait the engine is about to make). Nothing is added
// to the core.
//
// Secrets are kept out by construction: each line is built from named,
// whitelisted fields of an event or an error (never a whole object, request
// or config), and as a second guard every line is scrubbed of the values of
// the environment variables the config names as secrets before it is written.
import { pino, type Logger, type DestinationStream } from 'pino';
import type { Either } from 'fp-ts/lib/Either.js';
import type { EventStore, ExchangeError, ExchangeGateway, ExchangeSession, StoredEvent } from '../../src/ports.js';
import type { ConnectorConfig } from './config.js';
import type { DomainEvent } from '../../src/events.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface DiagnosticsOptions {
  readonly level?: LogLevel;
  /** Append to this file; default stderr. */
  readonly file?: string;
  /** Values that must never be written (scrubbed from every line). */
  readonly secrets?: readonly string[];
  /** Organization, on every line. */
  readonly organization?: string;
  /** Tests: write here instead. */
  readonly stream?: DestinationStream;
}

export interface Diagnostics {
  readonly logger: Logger;
  /** Wrappers for buildConnector: they only observe. */
  readonly observe: { store(s: EventStore): EventStore; exchange(g: ExchangeGateway): ExchangeGateway };
  close(): Promise<void>;
}

/** The values of every `…Env` variable the config names: passwords, tokens, secrets. */
export function configSecrets(c: ConnectorConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const names = new Set<string>();
  const walk = (u: unknown): void => {
    if (typeof u !== 'object' || u === null) return;
    for (const [k, v] of Object.entries(u)) {
      if (typeof v === 'string' && /Env$/.test(k)) names.add(v);
      else walk(v);
    }
  };
  walk(c);
  const values: string[] = [];
  for (const n of names) {
    const v = env[n];
    if (v && v.length >= 4) values.push(v, Buffer.from(v).toString('base64'), encodeURIComponent(v));
  }
  // A proxy password may also come inside HTTPS_PROXY.
  for (const n of ['HTTPS_PROXY', 'https_proxy']) {
    const m = /^[a-z]+:\/\/[^:@/]*:([^@/]+)@/i.exec(env[n] ?? '');
    if (m && m[1]!.length >= 4) values.push(m[1]!, decodeURIComponent(m[1]!));
  }
  return [...new Set(values)].sort((a, b) => b.length - a.length);
}

export function openDiagnostics(o: DiagnosticsOptions = {}): Diagnostics {
  const secrets = (o.secrets ?? []).filter((s) => s.length >= 4);
  // JSON-escaped forms too: a secret with a quote or backslash is written escaped.
  const forms = [...new Set(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))].sort((a, b) => b.length - a.length);
  const scrub = (line: string) => forms.reduce((acc, s) => acc.split(s).join('[redacted]'), line);
  const dest: DestinationStream =
    o.stream ?? pino.destination(o.file ? { dest: o.file, mkdir: true, sync: true, append: true } : { dest: 2, sync: true });
  const logger = pino(
    {
      level: o.level ?? 'info',
      base: o.organization ? { organization: o.organization } : {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: scrub },
    },
    dest,
  );

  const err = (e: { kind?: unknown; message?: unknown } | undefined) =>
    e ? { kind: typeof e.kind === 'string' ? e.kind : 'unknown', message: typeof e.message === 'string' ? e.message : '' } : undefined;
  const intended = new Map<string, { syncId: string; command: string; mailbox?: string }>();

  // The engine's own events, typed by their codecs (src/events.ts): the store wrapper sees only what the engine appends.
  function onEvent(raw: StoredEvent): void {
    const e = { type: raw.type, data: raw.data } as DomainEvent;
    switch (e.type) {
      case 'SyncStarted': {
        const d = e.data;
        logger.info({ event: 'syncStarted', syncId: d.syncId, kind: d.kind }, `${d.kind} sync ${d.syncId} started`);
        break;
      }
      case 'SyncCompleted': {
        const d = e.data;
        logger[d.success ? 'info' : 'warn'](
          {
            event: 'syncCompleted',
            syncId: d.syncId,
            kind: d.kind,
            success: d.success,
            devices: d.devices,
            commands: { succeeded: d.commands.succeeded, failed: d.commands.failed },
            access: { allow: d.access.allow, block: d.access.block, quarantine: d.access.quarantine },
            warnings: d.warnings,
          },
          `${d.kind} sync ${d.syncId} ${d.success ? 'succeeded' : 'completed with failed commands'}`,
        );
        intended.clear();
        break;
      }
      case 'SyncFailed': {
        const d = e.data;
        logger.error(
          { event: 'syncFailed', syncId: d.syncId, kind: d.kind, error: err(d.error) },
          `${d.kind} sync ${d.syncId} failed: ${err(d.error)?.message}`,
        );
        intended.clear();
        break;
      }
      case 'CasSwitched': {
        const d = e.data;
        logger.warn(
          { event: 'casSwitched', syncId: d.syncId, from: d.from, to: d.to, reason: d.reason },
          `switched from ${d.from} to ${d.to}`,
        );
        break;
      }
      case 'CommandIntended': {
        const d = e.data;
        const mailbox = 'mailbox' in d.command && typeof d.command.mailbox === 'string' ? d.command.mailbox : undefined;
        intended.set(d.commandId, { syncId: d.syncId, command: d.command.kind, ...(mailbox !== undefined ? { mailbox } : {}) });
        break;
      }
      case 'CommandSucceeded':
        intended.delete(e.data.commandId);
        break;
      case 'CommandFailed': {
        const d = e.data;
        const i = intended.get(d.commandId);
        intended.delete(d.commandId);
        logger.error(
          {
            event: 'commandFailed',
            commandId: d.commandId,
            ...(i ? { syncId: i.syncId, command: i.command } : {}),
            ...(i?.mailbox ? { mailbox: i.mailbox } : {}),
            reconciled: d.reconciled === true,
            error: err(d.error),
          },
          `${i?.command ?? 'command'}${i?.mailbox ? ` ${i.mailbox}` : ''} failed: ${err(d.error)?.message}`,
        );
        break;
      }
      case 'NotificationFailed': {
        const d = e.data;
        logger.warn(
          { event: 'notificationFailed', deviceId: d.deviceId, to: d.to, error: err(d.error) },
          `notification to ${d.to} failed: ${err(d.error)?.message}`,
        );
        break;
      }
      default:
        break;
    }
  }

  const store = (s: EventStore): EventStore => ({
    async append(requests) {
      const r = await s.append(requests);
      if (r._tag === 'Right') {
        for (const req of requests)
          for (const ev of req.events)
            onEvent({
              stream: req.stream,
              revision: 0,
              position: 0,
              id: ev.id ?? '',
              type: ev.type,
              at: ev.at,
              data: ev.data,
              meta: ev.meta ?? {},
            });
      } else if (r.left.kind === 'conflict') {
        logger.error(
          { event: 'appendRefused', error: { kind: 'conflict', stream: r.left.stream } },
          `the log refused an append on ${r.left.stream}: another connector may have taken over`,
        );
      } else {
        logger.error(
          { event: 'appendFailed', error: { kind: r.left.kind, message: 'message' in r.left ? r.left.message : '' } },
          'the log could not be written',
        );
      }
      return r;
    },
    readStream: (stream, options) => s.readStream(stream, options),
    readAll: (options) => s.readAll(options),
    close: () => s.close(),
  });

  const watch = <A>(
    operation: string,
    server: string | undefined,
    p: Promise<Either<ExchangeError, A>>,
  ): Promise<Either<ExchangeError, A>> =>
    p.then((r) => {
      if (r._tag === 'Left' && r.left.kind === 'throttled') {
        logger.warn(
          { event: 'throttled', operation, waitMs: r.left.waitMs, ...(server ? { server } : {}), message: r.left.message },
          `Exchange throttled ${operation}: waiting ${r.left.waitMs} ms`,
        );
      }
      return r;
    });
  const exchange = (g: ExchangeGateway): ExchangeGateway => {
    const cur = () => g.currentServer?.();
    const w: ExchangeGateway = {
      getMobileDevices: (q) => watch('Get-MobileDevice', cur(), g.getMobileDevices(q)),
      getCasMailboxes: (q) => watch('Get-CasMailbox', cur(), g.getCasMailboxes(q)),
      getOrgSettings: () => watch('Get-ActiveSyncOrganizationSettings', cur(), g.getOrgSettings()),
      getDeviceAccessRules: () => watch('Get-ActiveSyncDeviceAccessRule', cur(), g.getDeviceAccessRules()),
      getExchangeServers: () => watch('Get-ExchangeServer', cur(), g.getExchangeServers()),
      execute: (c) => watch(c.kind, cur(), g.execute(c)),
    };
    const open = g.openSession?.bind(g);
    if (open) {
      (w as { openSession?: ExchangeGateway['openSession'] }).openSession = () =>
        watch('New-PSSession', cur(), open()).then((r) => {
          if (r._tag === 'Left') return r;
          const s = r.right;
          const session: ExchangeSession = {
            ...(s.server !== undefined ? { server: s.server } : {}),
            execute: (c) => watch(c.kind, s.server, s.execute(c)),
            close: () => s.close(),
          };
          return { _tag: 'Right', right: session } as const;
        });
    }
    if (g.switchServer) (w as { switchServer?: ExchangeGateway['switchServer'] }).switchServer = g.switchServer.bind(g);
    if (g.currentServer) (w as { currentServer?: ExchangeGateway['currentServer'] }).currentServer = g.currentServer.bind(g);
    if (g.close) (w as { close?: ExchangeGateway['close'] }).close = g.close.bind(g);
    return w;
  };

  return {
    logger,
    observe: { store, exchange },
    async close() {
      const d = dest as { flushSync?: () => void; end?: () => void };
      try {
        d.flushSync?.();
      } catch {
        /* nothing buffered */
      }
      if (o.file) d.end?.();
    },
  };
}

/** The diagnostics a config asks for (stderr at info when it says nothing). */
export function diagnosticsFromConfig(c: ConnectorConfig, env: NodeJS.ProcessEnv = process.env): Diagnostics {
  return openDiagnostics({
    ...(c.log?.level ? { level: c.log.level } : {}),
    ...(c.log?.file ? { file: c.log.file } : {}),
    secrets: configSecrets(c, env),
    organization: c.organization,
  });
}
