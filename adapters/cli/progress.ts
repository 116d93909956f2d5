// Progress a person can read, on stderr when it is a terminal: one line per
// phase of a sync — discovering, deciding, enforcing, notifying — kept on
// screen together and redrawn in place (the deciding and enforcing phases run
// as a pipeline, so both move at once). Totals never jump back: while
// mailboxes are still being decided the enforcing total can only grow and is
// shown as "so far", without a bar; it gets its bar once it is final.
// Nothing is written when stderr is not a terminal.
import type { SyncProgress } from '../../src/sync.js';

export interface PhaseDisplay {
  update(p: SyncProgress): void;
  /** Draws the final state and leaves the cursor below it. */
  end(): void;
}

interface Out {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

type Phase = Exclude<SyncProgress['phase'], 'done'>;
const ORDER: readonly Phase[] = ['discover', 'decide', 'execute', 'notify'];
const LABEL: Record<Phase, string> = { discover: 'discovering', decide: 'deciding', execute: 'enforcing', notify: 'notifying' };
const UNIT: Record<Phase, string> = { discover: '', decide: 'devices', execute: 'commands', notify: 'notifications' };

const n = (x: number) => x.toLocaleString('en-US');

function bar(done: number, total: number, width = 24): string {
  const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
  const filled = Math.round((pct / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}%`;
}

/** The text of one phase's line (exported for tests). */
export function phaseLine(phase: Phase, p: SyncProgress & { finished?: boolean }): string {
  const label = LABEL[phase].padEnd(12);
  if (phase === 'discover') {
    if (!p.found) return `${label}reading Exchange and Intune…`;
    return `${label}done: ${n(p.found.partnerships)} partnerships in ${n(p.found.mailboxes)} mailboxes, ${n(p.found.managedDevices)} managed devices`;
  }
  const extra: string[] = [];
  if (phase === 'execute' || phase === 'notify') extra.push(`${n(p.failed ?? 0)} failed`);
  if (phase === 'execute') extra.push(`${n(p.throttleWaits ?? 0)} throttling waits`);
  const tail = extra.length ? `, ${extra.join(', ')}` : '';
  if (phase === 'execute' && !p.final) return `${label}${n(p.done)} of ${n(p.total)} ${UNIT[phase]} so far (deciding…)${tail}`;
  // Notices go while commands run: their total grows with each mailbox enforced.
  if (phase === 'notify' && !p.final) return `${label}${n(p.done)} of ${n(p.total)} ${UNIT[phase]} so far (enforcing…)${tail}`;
  return `${label}${bar(p.done, p.total)} ${n(p.done)}/${n(p.total)} ${UNIT[phase]}${tail}`;
}

export function phaseProgress(out: Out = process.stderr): PhaseDisplay {
  const tty = out.isTTY === true;
  const state = new Map<Phase, SyncProgress>();
  let drawn: string[] = [];
  let ended = false;

  const lines = () => ORDER.filter((ph) => state.has(ph)).map((ph) => phaseLine(ph, state.get(ph)!));

  let lastKey = '';
  let lastAt = 0;
  /** What deserves a redraw at once: a phase appearing, a percent step, a failure, a wait, a total becoming final. */
  const key = () =>
    ORDER.filter((ph) => state.has(ph))
      .map((ph) => {
        const p = state.get(ph)!;
        return [
          ph,
          p.total > 0 ? Math.floor((p.done / p.total) * 100) : 0,
          p.final ? 1 : 0,
          p.failed ?? 0,
          p.throttleWaits ?? 0,
          p.found ? 1 : 0,
        ].join(':');
      })
      .join('|');

  function draw(force = false): void {
    if (!tty) return;
    const k = key();
    const now = Date.now();
    if (!force && k === lastKey && now - lastAt < 100) return;
    const width = Math.max(40, (out.columns || 120) - 1);
    const next = lines().map((l) => (l.length > width ? l.slice(0, width - 1) + '…' : l));
    if (!force && next.length === drawn.length && next.every((l, i) => l === drawn[i])) return;
    lastKey = k;
    lastAt = now;
    let s = drawn.length > 1 ? `\x1b[${drawn.length - 1}A` : '';
    s += next.map((l) => `\r\x1b[2K${l}`).join('\n');
    out.write(s);
    drawn = next;
  }

  return {
    update(p) {
      if (ended) return;
      if (p.phase === 'done') {
        this.end();
        return;
      }
      const prev = state.get(p.phase);
      // Totals never go back: a late or out-of-order report cannot shrink what is shown.
      const merged: SyncProgress = prev
        ? {
            ...prev,
            ...p,
            done: Math.max(prev.done, p.done),
            total: Math.max(prev.total, p.total),
            final: (prev.final ?? false) || (p.final ?? false),
            ...((p.found ?? prev.found) ? { found: p.found ?? prev.found! } : {}),
          }
        : p;
      state.set(p.phase, merged);
      draw();
    },
    end() {
      if (ended) return;
      ended = true;
      if (tty && drawn.length > 0) {
        draw(true);
        out.write('\n');
      }
    },
  };
}
