// ExchangeGateway over remote PowerShell: facts in, commands out, as data.
// Each port call becomes one or two requests {op, args} for the constant script
// (requests.ts); nothing here writes PowerShell text. This file assembles the
// gateway: the session pool, CAS discovery for autoFailover, the commands and
// the engine's session lanes; the reads are in reads.ts.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeServer } from '../../src/facts.js';
import type { ExchangeError, ExchangeGateway, ExchangeSession } from '../../src/ports.js';
import type { ExchangeCommand } from '../../src/commands.js';
import { decodeExchangeServer, decodeOutput } from './decode.js';
import { sessionLauncher } from './launch.js';
import { HOST, lc, resolveOptions, type PowerShellGatewayOptions } from './options.js';
import { SessionPool, type PoolStats } from './pool.js';
import { gatewayReads } from './reads.js';
import { commandRequest, opForSession, request } from './requests.js';

export interface PowerShellGateway extends ExchangeGateway {
  openSession(): Promise<Either<ExchangeError, ExchangeSession>>;
  switchServer(fqdn: string): Promise<Either<ExchangeError, void>>;
  currentServer(): string | undefined;
  /** Known Client Access servers, the primary first. */
  servers(): readonly string[];
  stats(): PoolStats;
  close(): Promise<void>;
}

/** The gateway. Throws TypeError on invalid options; every runtime failure is an Either. */
export function powershellGateway(options: PowerShellGatewayOptions): PowerShellGateway {
  const r = resolveOptions(options);
  const { commandTimeoutMs, failover, log } = r;
  const newSession = sessionLauncher(options, r);

  const discovered = (records: readonly ExchangeServer[]) => {
    const known = pool.servers();
    const fresh = records.filter(
      (s) =>
        s.isClientAccessServer &&
        HOST.test(s.fqdn) &&
        !known.some((x) => lc(x) === lc(s.fqdn) || lc(x) === lc(s.name) || lc(x) === lc(s.fqdn).split('.')[0]),
    );
    const added = pool.addServers(fresh.map((s) => s.fqdn));
    if (added.length > 0)
      log({ level: 'info', event: 'serversDiscovered', message: `Client Access servers for failover: ${added.join(', ')}` });
  };

  const pool = new SessionPool({
    size: r.size,
    budget: r.budget,
    maxCommandsPerSession: r.maxCommandsPerSession,
    maxSessionAgeMs: r.maxSessionAgeMs,
    abandonedSessionTtlMs: r.abandonedSessionTtlMs,
    closeTimeoutMs: r.closeTimeoutMs,
    autoFailover: failover,
    probeIntervalMs: r.probeIntervalMs,
    servers: r.servers,
    newSession,
    log,
    ...(failover
      ? ({
          onFirstConnect: async (run) => {
            const res = await run(request('Get-ExchangeServer'), commandTimeoutMs);
            if (isLeft(res)) {
              log({
                level: 'warn',
                event: 'discoveryFailed',
                message: `cannot list the Client Access servers for failover: ${res.left.message}`,
              });
              return;
            }
            const d = decodeOutput('Get-ExchangeServer', res.right.chunks, decodeExchangeServer);
            if (isLeft(d)) log({ level: 'warn', event: 'discoveryFailed', message: d.left.message });
            else discovered(d.right);
          },
        } satisfies Partial<ConstructorParameters<typeof SessionPool>[0]>)
      : {}),
  });

  async function execute(command: ExchangeCommand): Promise<Either<ExchangeError, void>> {
    const c = commandRequest(command);
    if (isLeft(c)) return c;
    let refused: ExchangeError | undefined;
    const res = await pool.run((h) => {
      const op = opForSession(c.right.op, c.right.args, h.cmdlets);
      if (isLeft(op)) refused = op.left;
      return isLeft(op) ? undefined : request(op.right, c.right.args);
    }, commandTimeoutMs);
    if (refused) return left(refused);
    if (isLeft(res)) return res;
    for (const w of res.right?.warnings ?? []) log({ level: 'debug', event: 'cmdletWarning', message: `${c.right.op}: ${w}` });
    return right(undefined);
  }

  /** A session of the caller's own (the engine's lanes): its commands run one after another on one remote session. */
  async function openSession(): Promise<Either<ExchangeError, ExchangeSession>> {
    const a = await pool.acquireExclusive();
    if (isLeft(a)) return a;
    const s = a.right;
    let closed = false;
    return right({
      server: s.server,
      // A session kept by the pool from an earlier caller: the engine counts its commands and age from there.
      used: { commands: s.commands, ageMs: Date.now() - s.startedAt },
      async execute(command: ExchangeCommand): Promise<Either<ExchangeError, void>> {
        if (closed) return left({ kind: 'sessionBroken', message: 'the session was closed' });
        const c = commandRequest(command);
        if (isLeft(c)) return c;
        const op = opForSession(c.right.op, c.right.args, s.hello?.cmdlets ?? []);
        if (isLeft(op)) return op;
        const req = request(op.right, c.right.args);
        const res = await s.call(req.op, req.args, commandTimeoutMs);
        if (isLeft(res)) return res;
        for (const w of res.right.warnings)
          log({ level: 'debug', event: 'cmdletWarning', message: `${c.right.op}: ${w}`, server: s.server, session: s.id });
        return right(undefined);
      },
      async close(options?: { readonly retire?: boolean }): Promise<void> {
        if (closed) return;
        closed = true;
        pool.releaseExclusive(s, options?.retire === true);
      },
    });
  }

  /** CAS failover: new sessions go to `fqdn` once one connects there (connectionLost otherwise, nothing changes). */
  async function switchServer(fqdn: string): Promise<Either<ExchangeError, void>> {
    if (typeof fqdn !== 'string' || !HOST.test(fqdn)) return left({ kind: 'other', message: `not a server name: ${JSON.stringify(fqdn)}` });
    return pool.switchTo(fqdn);
  }

  return {
    ...gatewayReads(pool, r, discovered),
    execute,
    openSession,
    switchServer,
    currentServer: () => pool.currentServer(),
    servers: () => pool.servers(),
    stats: () => pool.stats(),
    close: () => pool.close(),
  };
}
