// A connector process for the crash-safety harness: the engine runs here, while
// the simulated organization lives in the parent (so it survives a SIGKILL).
// Every gateway call is a request over IPC; every step (append, before and
// after each command) is announced and waits for the parent's go-ahead — the
// parent kills this process at the step it chose instead.
import { isLeft } from 'fp-ts/lib/Either.js';
import { createEngine } from '../../src/engine.js';
import { openFileStore } from '../../adapters/file-store/index.js';
import type { ExchangeGateway, IntuneGateway, Notifier } from '../../src/ports.js';
import type { Policy } from '../../src/policy.js';

type Reply = { id: number; result: unknown };
let nextId = 0;
const waiting = new Map<number, (r: unknown) => void>();
process.on('message', (m: Reply & { go?: number }) => {
  if (typeof m.id === 'number') {
    waiting.get(m.id)?.(m.result);
    waiting.delete(m.id);
  }
});
const call = <A>(target: string, method: string, ...args: unknown[]): Promise<A> =>
  new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve as (r: unknown) => void);
    process.send!({ id, target, method, args });
  });

const exchange: ExchangeGateway = {
  getMobileDevices: (q) => call('exchange', 'getMobileDevices', q),
  getCasMailboxes: (q) => call('exchange', 'getCasMailboxes', q),
  getOrgSettings: () => call('exchange', 'getOrgSettings'),
  getDeviceAccessRules: () => call('exchange', 'getDeviceAccessRules'),
  getExchangeServers: () => call('exchange', 'getExchangeServers'),
  getMobileDeviceStatistics: (q) => call('exchange', 'getMobileDeviceStatistics', q),
  execute: (c) => call('exchange', 'execute', c),
};
const intune: IntuneGateway = {
  getManagedDevices: (q) => call('intune', 'getManagedDevices', q),
  getGroupMembers: async (ids) => {
    const r = await call<{ _tag: string; right?: Array<[string, string[]]>; left?: unknown }>('intune', 'getGroupMembers', ids);
    return r._tag === 'Right' ? { _tag: 'Right', right: new Map(r.right!.map(([k, v]) => [k, new Set(v)])) } : (r as never);
  },
};
const notifier: Notifier = { send: (n) => call('notifier', 'send', n) };

const [logPath, policyJson, nowMs] = [process.argv[2]!, process.argv[3]!, Number(process.argv[4])];
const policy = JSON.parse(policyJson) as Policy;
const opened = await openFileStore(logPath);
if (isLeft(opened)) {
  process.send!({ fatal: opened.left });
  process.exit(3);
}
let step = 0;
const engine = createEngine({
  organization: 'contoso',
  exchange,
  intune,
  notifier,
  store: opened.right,
  policy,
  parallelism: 1,
  clock: { now: () => nowMs },
  // As the CLI runs it: deciding in slices, appending early when a session is idle.
  yieldToLoop: () => new Promise<void>((r) => setImmediate(r)),
  onStep: (kind) => call('step', kind, ++step),
});
// argv[5]: what to do — a full sync (default), or an administrator action on
// device argv[6] (grant, revoke, wipe) followed by the quick sync that enforces
// or sends it. A restarted run sends the same request again: the engine must
// record it once.
const mode = process.argv[5] ?? 'full';
const deviceId = process.argv[6] ?? '';
let report;
if (mode === 'grant' || mode === 'revoke' || mode === 'wipe') {
  const r =
    mode === 'grant'
      ? await engine.grantOverride({ deviceId, access: 'allow', untilMs: nowMs + 8 * 3_600_000, reason: 'crash test', by: 'tester' })
      : mode === 'wipe'
        ? await engine.requestWipe({ deviceId, reason: 'crash test: phone lost', by: 'tester' })
        : await engine.revokeOverride({ deviceId, reason: 'crash test', by: 'tester' });
  // After a kill that came after the revoke was written, the retried revoke finds none in force: that is done, not failed.
  if (isLeft(r) && !(mode === 'revoke' && r.left.kind === 'noOverride')) {
    process.send!({ fatal: r.left });
    process.exit(3);
  }
  report = await engine.quickSync();
} else report = await engine.fullSync();
await opened.right.close();
process.send!({ done: true, success: report.success, errors: report.errors, steps: step }, () => process.exit(0));
