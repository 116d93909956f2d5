// Exchange's own allow/block/quarantine answer: exactly src/exchange-evaluation.ts,
// plus the one piece of state that function cannot know: sticky Block-rule blocks.
import { characteristicValue, evaluateExchange } from '../../../src/exchange-evaluation.js';
import { lc, type DeviceEntry, type Directory, type MailboxEntry } from './directory.js';
import type { Evaluation } from './types.js';

/** Records a Block-rule block: it then outlives a change of the device's characteristics. */
export function touch(dir: Directory, key: string, d: DeviceEntry): void {
  const e = evaluateExchange(d.rec, d.mailbox.rec, dir.org, dir.rules, dir.sticky.get(key));
  if (e.access === 'block' && e.reason === 'deviceRule' && e.rule !== undefined) dir.sticky.set(key, e.rule);
}

export function touchMailbox(dir: Directory, m: MailboxEntry): void {
  for (const key of m.devices) touch(dir, key, dir.devices.get(key)!);
}

/** Rules changed: a block by a rule that is gone or no longer Block is lifted; other blocks stay; new Block-rule matches are recorded. */
export function refreshSticky(dir: Directory): void {
  const blockRules = new Set<string>();
  for (const r of dir.rules) if (r.accessLevel === 'Block' && r.name !== undefined) blockRules.add(lc(r.name));
  for (const [key, rule] of dir.sticky) if (!blockRules.has(lc(rule))) dir.sticky.delete(key);
  if (blockRules.size === 0) return;
  // cheap pre-filter (length, then case-insensitive text) before the real evaluation
  const tests = dir.rules.filter((r) => r.accessLevel === 'Block').map((r) => ({ c: r.characteristic, q: lc(r.queryString) }));
  for (const [key, d] of dir.devices) {
    for (const t of tests) {
      const v = characteristicValue(d.rec, t.c);
      if (v !== undefined && v.length === t.q.length && lc(v) === t.q) {
        touch(dir, key, d);
        break;
      }
    }
  }
}

/** Exchange's own evaluation of every partnership: deviceId (lower-cased) -> access, reason, mailbox identity. */
export function evaluateAll(dir: Directory): Map<string, Evaluation> {
  const out = new Map<string, Evaluation>();
  for (const [key, d] of dir.devices) {
    const e = evaluateExchange(d.rec, d.mailbox.rec, dir.org, dir.rules, dir.sticky.get(key));
    out.set(key, { access: e.access, reason: e.reason, mailbox: d.mailbox.rec.identity });
  }
  return out;
}

/** Exchange's evaluation of one partnership, or undefined when it does not exist. */
export function evaluate(dir: Directory, deviceId: string): (Evaluation & { readonly rule?: string }) | undefined {
  const d = dir.devices.get(lc(deviceId));
  if (!d) return undefined;
  const e = evaluateExchange(d.rec, d.mailbox.rec, dir.org, dir.rules, dir.sticky.get(lc(deviceId)));
  return { ...e, mailbox: d.mailbox.rec.identity };
}
