// The replay benchmark's log (benchmarks/replay.ts): a base log from the engine's
// own output over a simulated organization (three full syncs with changes and a
// policy change between them), and its mailbox streams replicated under new
// names until the log is as long as asked.
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { createEngine } from '../src/index.js';
import type { Policy, StoredEvent } from '../src/index.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';

const T0 = Date.parse('2026-11-26T08:00:00Z');
const HOUR = 3_600_000;

// ------------------------------------------------------------------ the base log
export async function baseLog(devices: number): Promise<{ events: StoredEvent[]; policy: Policy; turned: string }> {
  let now = T0;
  const sim = simulateOrganization({ devices, seed: 1, clock: () => now });
  const store = memoryStore();
  const engine = (policy: Policy) =>
    createEngine({
      organization: sim.organization,
      exchange: sim.exchange,
      intune: sim.intune,
      store,
      policy,
      notifier: sim.notifier,
      clock: { now: () => now },
      parallelism: 4,
    });
  await engine(sim.policy).fullSync();
  const first = engine(sim.policy);
  // Changes: 5% of compliant devices turn noncompliant, 1% of partnerships go away.
  now += 24 * HOUR;
  const managed = sim.intune.devices().filter((m) => m.complianceState === 'compliant');
  managed.filter((_, i) => i % 20 === 0).forEach((m) => sim.intune.setCompliance(m.id, 'noncompliant'));
  [...sim.evaluateAll().keys()].filter((_, i) => i % 100 === 7).forEach((id) => sim.exchange.removePartnership(id));
  await first.fullSync();
  // A policy change: BlackBerry loses its exception.
  now += 24 * HOUR;
  const policy: Policy = { ...sim.policy, platformExceptions: sim.policy.platformExceptions.filter((e) => e.name !== 'BlackBerry') };
  await engine(policy).fullSync();
  const events = store.events() as StoredEvent[];
  // A device with a history: allowed, then blocked when it turned noncompliant.
  const decided = new Map<string, string[]>();
  for (const e of events) {
    if (e.type !== 'AccessDecided') continue;
    const d = e.data as { deviceId: string; access: string };
    decided.set(d.deviceId, [...(decided.get(d.deviceId) ?? []), d.access]);
  }
  const turned = [...decided].find(([, a]) => a[0] === 'allow' && a.includes('block'))?.[0] ?? [...decided.keys()][0]!;
  return { events, policy, turned };
}

// ------------------------------------------------------------------ replication
const MARK = '\u0007';
const MARK_JSON = '\\u0007';

/**
 * Writes `copies` copies of the base log's mailbox streams (org events once),
 * interleaved event by event, to `path`. Names that must stay unique per copy
 * (mailbox identities and streams, device ids, command ids) get a suffix.
 */
export function writeReplicated(path: string, events: readonly StoredEvent[], copies: number): number {
  const deviceIds = new Set<string>();
  const identities = new Set<string>();
  for (const e of events) {
    const d = e.data as Record<string, unknown>;
    if (typeof d.deviceId === 'string') deviceIds.add(d.deviceId);
    if (e.type === 'MailboxDiscovered') identities.add(d.identity as string);
  }
  const rename = (v: unknown, key: string): unknown => {
    if (typeof v === 'string') {
      if (deviceIds.has(v) || identities.has(v) || key === 'commandId' || key === 'mailbox') return v + MARK;
      return v;
    }
    if (Array.isArray(v)) return v.map((x) => rename(x, key));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rename(x, k)]));
    return v;
  };
  // Per base event: the line after `"id":"…",` split where the copy suffix goes.
  const templates = events.map((e) => {
    const mailbox = e.stream.startsWith('eas-mailbox-');
    const stream = mailbox ? JSON.stringify(e.stream + MARK).split(MARK_JSON) : [JSON.stringify(e.stream)];
    const data = mailbox ? rename(e.data, '') : e.data;
    const rest =
      `"type":${JSON.stringify(e.type)},"at":${JSON.stringify(e.at)},"data":${JSON.stringify(data)},"meta":${JSON.stringify(e.meta)}}`.split(
        MARK_JSON,
      );
    return { mailbox, stream, revision: e.revision, rest };
  });
  const fd = openSync(path, 'w');
  let buf = '';
  let position = 0;
  const suffix = (c: number) => (c === 0 ? '' : `~${c}`);
  try {
    for (const t of templates) {
      for (let c = 0; c < (t.mailbox ? copies : 1); c++) {
        const s = suffix(c);
        buf += `{"stream":${t.stream.join(s)},"revision":${t.revision},"position":${position++},"id":"${randomUUID()}",${t.rest.join(s)}\n`;
        if (buf.length > 4_000_000) {
          writeSync(fd, buf);
          buf = '';
        }
      }
    }
    writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  return position;
}
