// Builds a connector (gateways, store, policy, engine) from a config file.
import { createEngine, type Engine, type EngineOptions } from '../../src/engine.js';
import type { EventStore, ExchangeGateway, IntuneGateway, Notifier } from '../../src/ports.js';
import { simulateOrganization } from '../simulator/index.js';
import type { ConnectorConfig } from './config.js';
import { policyFromFile as readPolicyFile } from './plan.js';
import { isEsdb, openStore } from './store.js';
import { InputFailure } from './io.js';
import { secretFromEnv, storeSpecOf } from './config.js';
import { scrub } from '../shared/connection-string.js';
import { graphGatewayFromConfig, type GraphIntuneConfig } from '../graph/index.js';
import { smtpNotifier } from '../smtp/index.js';
import { ewsNotifier } from '../ews/index.js';
import { powershellGatewayFromConfig, type PowerShellExchangeConfig } from '../powershell/index.js';
import { isLeft } from 'fp-ts/lib/Either.js';
import { fileSnapshotStore } from '../file-store/index.js';
import type { EventStoreDbStore } from '../eventstoredb/index.js';
import type { SnapshotNote } from '../../src/start.js';
import { formatInputError } from '../shared/input-errors.js';

export interface Connector {
  readonly engine: Engine;
  readonly store: EventStore;
  readonly config: ConnectorConfig;
  close(): Promise<void>;
}

export interface Gateways {
  readonly exchange: ExchangeGateway;
  readonly intune: IntuneGateway;
  readonly notifier?: Notifier;
  close(): Promise<void>;
}

/** Gateway factories by kind; adapters for real systems register here. */
export const gatewayFactories: {
  exchange: Record<string, (c: ConnectorConfig) => Promise<ExchangeGateway>>;
  intune: Record<string, (c: ConnectorConfig) => Promise<IntuneGateway>>;
  notifier: Record<string, (c: ConnectorConfig) => Promise<Notifier & { close?(): Promise<void> }>>;
} = {
  exchange: {
    powershell: async (c) => {
      const r = powershellGatewayFromConfig(c.exchange as PowerShellExchangeConfig);
      if (isLeft(r)) throw new InputFailure(`config: ${r.left}`);
      return r.right;
    },
  },
  intune: {
    graph: async (c) => {
      const r = graphGatewayFromConfig(c.intune as GraphIntuneConfig, 'config');
      if (isLeft(r)) throw new InputFailure(r.left.map(formatInputError).join('\n'));
      // The proxy's kept-alive connections close with the connector.
      return Object.assign(r.right.gateway, { close: r.right.close });
    },
  },
  notifier: {
    ews: async (c) => {
      const n = c.notifier!;
      if (n.kind !== 'ews') throw new Error('notifier kind mismatch');
      try {
        return ewsNotifier({
          mailbox: n.mailbox,
          authentication: n.authentication,
          ...(n.url !== undefined ? { url: n.url } : {}),
          username: secretFromEnv(n.usernameEnv, 'notifier.usernameEnv'),
          password: secretFromEnv(n.passwordEnv, 'notifier.passwordEnv'),
        });
      } catch (e) {
        if (e instanceof TypeError) throw new InputFailure(`config: notifier: ${e.message.replace(/^ewsNotifier: /, '')}`);
        throw e;
      }
    },
    smtp: async (c) => {
      const n = c.notifier!;
      if (n.kind !== 'smtp') throw new Error('notifier kind mismatch');
      const auth =
        n.usernameEnv || n.passwordEnv
          ? {
              user: secretFromEnv(n.usernameEnv ?? '', 'notifier.usernameEnv'),
              pass: secretFromEnv(n.passwordEnv ?? '', 'notifier.passwordEnv'),
            }
          : undefined;
      return smtpNotifier({
        host: n.host,
        port: n.port,
        from: n.from,
        secure: n.secure ?? false,
        requireTLS: n.requireTLS ?? false,
        ...(auth ? { auth } : {}),
        tls: { rejectUnauthorized: n.rejectUnauthorized ?? true },
      });
    },
  },
};

async function gateways(c: ConnectorConfig): Promise<Gateways> {
  if (c.exchange.kind === 'simulator') {
    const x = c.exchange;
    const sim = simulateOrganization({
      devices: x.devices ?? 5000,
      seed: x.seed ?? 1,
      latencyMs: x.latencyMs ?? 0,
      organization: c.organization,
      clock: () => Date.now(),
      ...(x.runspaces !== undefined ? { runspaces: x.runspaces } : {}),
    });
    const notifier = c.notifier ? await notifierOf(c) : sim.notifier;
    // The simulated Exchange may be paired with the real Graph (to try the Intune side, its credentials and the proxy).
    const intune = c.intune.kind === 'simulator' ? sim.intune : await intuneOf(c);
    return {
      exchange: sim.exchange,
      intune,
      notifier,
      close: async () => {
        await (intune as { close?(): Promise<void> }).close?.();
        await (notifier as { close?(): Promise<void> }).close?.();
      },
    };
  }
  const ex = gatewayFactories.exchange[c.exchange.kind];
  const it = gatewayFactories.intune[c.intune.kind];
  if (!ex) throw new InputFailure(`exchange.kind "${c.exchange.kind}" is not available in this build`);
  if (!it) throw new InputFailure(`intune.kind "${c.intune.kind}" is not available in this build`);
  const exchange = await ex(c);
  const intune = await it(c);
  const notifier = c.notifier ? await notifierOf(c) : undefined;
  return {
    exchange,
    intune,
    ...(notifier ? { notifier } : {}),
    close: async () => {
      await exchange.close?.();
      await (intune as { close?(): Promise<void> }).close?.();
      await notifier?.close?.();
    },
  };
}

async function intuneOf(c: ConnectorConfig): Promise<IntuneGateway> {
  const f = gatewayFactories.intune[c.intune.kind];
  if (!f) throw new InputFailure(`intune.kind "${c.intune.kind}" is not available in this build`);
  return f(c);
}

async function notifierOf(c: ConnectorConfig) {
  const f = gatewayFactories.notifier[c.notifier!.kind];
  if (!f) throw new InputFailure(`notifier.kind "${c.notifier!.kind}" is not available in this build`);
  return f(c);
}

/** Observers wrapped around the store and the Exchange gateway (diagnostic logs); they must not change behaviour. */
export interface ConnectorObservers {
  store?(s: EventStore): EventStore;
  exchange?(g: ExchangeGateway): ExchangeGateway;
}

export async function buildConnector(
  c: ConnectorConfig,
  extra: Partial<EngineOptions> = {},
  observe: ConnectorObservers = {},
): Promise<Connector> {
  const policy = await readPolicyFile(c.policy);
  const raw = await gateways(c);
  const g = observe.exchange ? { ...raw, exchange: observe.exchange(raw.exchange) } : raw;
  const spec = storeSpecOf(c);
  // Beside a file log, the snapshot is read, checked and decoded while the log's saved index is checked on another thread.
  const fileSnapshots = isEsdb(spec) ? undefined : fileSnapshotStore(spec);
  fileSnapshots?.prefetch();
  let opened: EventStore;
  try {
    opened = await openStore(spec);
  } catch (err) {
    // The adapter redacts what it knows; the credentials came from the environment, so scrub here too.
    if (err instanceof Error) err.message = scrub(err.message, spec);
    await g.close();
    throw err;
  }
  const store = observe.store ? observe.store(opened) : opened;
  const x = c.exchange;
  const engine = createEngine({
    yieldToLoop: () => new Promise<void>((r) => setImmediate(r)),
    organization: c.organization,
    exchange: g.exchange,
    intune: g.intune,
    store,
    policy,
    ...(g.notifier ? { notifier: g.notifier } : {}),
    parallelism: x.parallelism ?? 1,
    ...(x.maxConcurrency !== undefined ? { maxConcurrency: x.maxConcurrency } : {}),
    casFailover: x.casFailover ?? true,
    ...(c.grandfathering !== undefined ? { grandfathering: c.grandfathering } : {}),
    ...(c.connectorId !== undefined ? { connectorId: c.connectorId } : {}),
    ...(c.overrides?.maxDays !== undefined ? { maxOverrideDays: c.overrides.maxDays } : {}),
    ...(c.cleanup?.mailboxesPerSync !== undefined ? { cleanupMailboxesPerSync: c.cleanup.mailboxesPerSync } : {}),
    schedule: { quickMinutes: c.schedule?.quickMinutes ?? 15, fullDailyAt: c.schedule?.fullDailyAt ?? '02:00' },
    // A snapshot of the state, so a start folds only the log after it: beside a file log (`<log>.snapshot`),
    // in its own stream on EventStoreDB (taken from the store that was opened: it shares that store's index).
    snapshots: {
      store: fileSnapshots ?? (opened as EventStoreDbStore).snapshots(c.organization),
      onNote: tellSnapshotNote,
    },
    ...extra,
  });
  return {
    engine,
    store,
    config: c,
    async close() {
      await g.close();
      await store.close();
    },
  };
}

/** A snapshot that could not be used or written is said on stderr (the state came from the log: nothing is wrong with it). */
function tellSnapshotNote(n: SnapshotNote): void {
  if (n.kind === 'rebuilt' && n.reason !== 'none yet')
    process.stderr.write(`eas-sync: snapshot ${n.location} not used (${n.reason}); state folded from the log (${n.events} events)\n`);
  else if (n.kind === 'writeFailed') process.stderr.write(`eas-sync: snapshot ${n.location} not written: ${n.reason}\n`);
}
