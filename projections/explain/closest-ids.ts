// An unknown DeviceId: the known ids a reader most likely meant.
import type { StoredEvent } from '../../src/ports.js';
import { deviceKey } from '../../src/mailbox.js';
import { DEVICE_TYPES, idOf } from './events.js';

/** Every distinct DeviceId the events name (partnerships and decisions). */
export function knownDeviceIds(events: readonly StoredEvent[]): string[] {
  const seen = new Map<string, string>();
  for (const e of events) {
    if (!DEVICE_TYPES.has(e.type)) continue;
    const id = idOf(e.data);
    if (id !== undefined && !seen.has(deviceKey(id))) seen.set(deviceKey(id), id);
  }
  return [...seen.values()];
}

/** Levenshtein distance, giving up (returning max + 1) once it must exceed `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let best = cur[0];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (cur[j]! < best) best = cur[j]!;
    }
    if (best > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * The known ids closest to `wanted`: ids it is a case-insensitive prefix of (or
 * that are a prefix of it) first, then by edit distance; at most `limit`.
 */
export function closestIds(wanted: string, known: Iterable<string>, limit = 5): string[] {
  const w = wanted.toLowerCase();
  const scored: Array<{ id: string; score: number }> = [];
  let worst = Math.max(3, Math.ceil(w.length / 2));
  for (const id of known) {
    const k = id.toLowerCase();
    if (w.length > 0 && (k.startsWith(w) || w.startsWith(k))) {
      scored.push({ id, score: -1 / (1 + Math.abs(k.length - w.length)) });
      continue;
    }
    const d = distance(w, k, worst);
    if (d > worst) continue;
    scored.push({ id, score: d });
    if (scored.length > limit * 4) {
      scored.sort((a, b) => a.score - b.score || a.id.localeCompare(b.id));
      scored.length = limit;
      worst = Math.min(worst, Math.max(0, Math.floor(scored[limit - 1]!.score)));
    }
  }
  scored.sort((a, b) => a.score - b.score || a.id.localeCompare(b.id));
  return scored.slice(0, limit).map((s) => s.id);
}
