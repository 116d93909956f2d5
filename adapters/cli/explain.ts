// eas-sync explain LOG DEVICE_ID [--at ISO-8601]: why a device has (had) its
// access level. Read-only.
//
// `explainFile` answers without folding the whole log: a byte-level scan finds
// the lines whose `"deviceId":"…"` is the device (ASCII case-insensitively) and
// the PolicyChanged lines, then the lines of the device's mailbox stream(s) by
// their `{"stream":…,` prefix; only those lines are parsed, checked and given to
// the pure `explain`. Whenever the scan cannot vouch for what it found (an id it
// cannot compare byte-wise, a line that does not parse, a stream whose revisions
// are not 0..n without a gap), it falls back to reading every line through
// `foldLogFile`, with the same result. No index file is written: the log is the
// only source and is never modified.
import { open, type FileHandle } from 'node:fs/promises';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../../src/ports.js';
import { envelopeError, toStoredEvent } from '../shared/log-codec.js';
import { explain as explainEvents, closestIds, type ExplainError, type Explanation } from '../../projections/explain.js';
import { commandToPowerShell } from '../powershell/quote.js';
import { parse, instantOption } from './args.js';
import { print, printRaw, printJson, InputFailure, UsageError } from './io.js';
import { foldLogFile, logPath, readFailure } from './replay.js';

export const EXPLAIN_HELP = `Usage: eas-sync explain LOG DEVICE_ID [--at ISO-8601] [--json]

Why a device has its access level (read-only): the decision, its reason and
rule, the facts it was made from (groups, mapped managed device, compliance and
grace deadline, platform exception, conflicts), the policy revision, the
Set-CasMailbox that enforced it and its outcome, and the device's timeline.
--at explains the state at that moment instead of at the end of the log.
DEVICE_ID is matched case-insensitively; an unknown id is exit 2 with the
closest known ids.`;

export type ExplainFileError =
  | ExplainError
  | { readonly kind: 'io'; readonly message: string }
  | { readonly kind: 'invalidLog'; readonly message: string; readonly errors: ReadonlyArray<{ line: number; message: string }> };

export interface ExplainFileResult {
  readonly explanation: Explanation;
  /** `scan`: only the device's lines were parsed; `full`: every line was read. */
  readonly via: 'scan' | 'full';
  /** Lines parsed to answer. */
  readonly parsedLines: number;
}

const ioText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).replace(/, \w+ '.*'$/, '');

const DEVICE_FIELD = Buffer.from('"deviceId":"');
const POLICY_NEEDLE = Buffer.from('","type":"PolicyChanged","at":"');
const KEEP_IN_MEMORY = 1 << 30;
const CHUNK = 32 * 1024 * 1024;

interface Chunk {
  readonly buf: Buffer;
  /** Bytes of complete lines at the start of buf (up to, without, the last newline). */
  readonly length: number;
  /** File offset of buf[0]. */
  readonly offset: number;
}

/**
 * The file's complete lines, chunk by chunk (what follows the last newline is
 * never a line: a torn tail). The next chunk is read while the caller searches
 * the current one. With `into`, the whole file is read into that one buffer
 * and chunks are views of it (one allocation, kept for further passes);
 * otherwise each chunk is a buffer of its own.
 */
async function* chunks(fh: FileHandle, size: number, into?: Buffer): AsyncGenerator<Chunk> {
  if (into) {
    const read = (offset: number) => fh.read(into, offset, Math.min(CHUNK, size - offset), offset);
    let offset = 0;
    let lineStart = 0;
    let next = size > 0 ? read(0) : undefined;
    while (next) {
      const { bytesRead } = await next;
      if (bytesRead === 0) return;
      offset += bytesRead;
      next = offset < size ? read(offset) : undefined;
      const lastNl = into.lastIndexOf(10, offset - 1);
      if (lastNl < lineStart) continue;
      yield { buf: into.subarray(lineStart, offset), length: lastNl - lineStart, offset: lineStart };
      lineStart = lastNl + 1;
    }
    return;
  }
  const readFrom = async (offset: number, carry: Buffer | undefined) => {
    const buf = Buffer.allocUnsafe(Math.max(CHUNK, (carry?.length ?? 0) * 2));
    const start = carry ? carry.copy(buf, 0) : 0;
    const { bytesRead } = await fh.read(buf, start, Math.min(buf.length - start, size - offset), offset);
    return { buf, start, bytesRead, fileOffset: offset - start };
  };
  let offset = 0;
  let next = size > 0 ? readFrom(0, undefined) : undefined;
  while (next) {
    const { buf, start, bytesRead, fileOffset } = await next;
    if (bytesRead === 0) return;
    offset += bytesRead;
    const end = start + bytesRead;
    const lastNl = buf.lastIndexOf(10, end - 1);
    const carry = lastNl < 0 ? buf.subarray(0, end) : end > lastNl + 1 ? Buffer.from(buf.subarray(lastNl + 1, end)) : undefined;
    next = offset < size ? readFrom(offset, carry) : undefined;
    if (lastNl >= 0) yield { buf, length: lastNl, offset: fileOffset };
  }
}

/** The text of the line around byte `pos` of a chunk, and the line's file offset. */
function lineAt(c: Chunk, pos: number): { text: string; offset: number } {
  const start = c.buf.lastIndexOf(10, pos) + 1;
  let end = c.buf.indexOf(10, pos);
  if (end < 0 || end > c.length) end = c.length;
  return { text: c.buf.toString('utf8', start, end), offset: c.offset + start };
}

/** Every line of the chunk that contains `needle` (at a line start only, with `atLineStart`). */
function linesWith(c: Chunk, needle: Buffer, into: Map<number, string>, atLineStart = false): void {
  for (let p = c.buf.indexOf(needle, 0); p >= 0 && p < c.length; p = c.buf.indexOf(needle, p + needle.length)) {
    if (atLineStart && p > 0 && c.buf[p - 1] !== 10) continue;
    const l = lineAt(c, p);
    into.set(l.offset, l.text);
  }
}

/** An id the scan can compare byte-wise: printable ASCII, nothing JSON escapes. */
const scannable = (id: string) => /^[\x20-\x7e]+$/.test(id) && !/["\\]/.test(id);

function matchesAt(buf: Buffer, v: number, lowered: Uint8Array, limit: number): boolean {
  const n = lowered.length;
  if (v + n >= limit || buf[v + n] !== 0x22) return false;
  for (let i = 0; i < n; i++) {
    let b = buf[v + i]!;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (b !== lowered[i]) return false;
  }
  return true;
}

type Scan =
  | { readonly kind: 'found'; readonly events: StoredEvent[]; readonly parsed: number }
  | { readonly kind: 'unknown'; readonly known: string[] }
  | { readonly kind: 'fallback'; readonly why: string };

const parseLine = (text: string): StoredEvent | undefined => {
  let value: unknown;
  try { value = JSON.parse(text); } catch { return undefined; }
  return envelopeError(value) === undefined ? toStoredEvent(value as Record<string, unknown>) : undefined;
};

/**
 * Finds the device's lines. Its id is searched as typed, then in lower and upper
 * case, as the whole `"deviceId":"<id>"` field (long needles are what
 * Buffer.indexOf skips through fastest); only when none of those spellings
 * occurs does the scan compare every `"deviceId"` field case-insensitively.
 */
async function scanFor(path: string, deviceId: string): Promise<Either<{ kind: 'io'; message: string }, Scan>> {
  if (!scannable(deviceId)) return right({ kind: 'fallback', why: 'the id has characters the scan does not compare' });
  let fh: FileHandle;
  try { fh = await open(path, 'r'); } catch (err) { return left({ kind: 'io', message: `log ${path}: cannot open: ${ioText(err)}` }); }
  try {
    const size = (await fh.stat()).size;
    // Up to 1 GiB the file is read once into one buffer, and later passes search that.
    const whole = size <= KEEP_IN_MEMORY ? Buffer.allocUnsafe(size) : undefined;
    const kept: Chunk[] = [];
    const again = async function* (): AsyncGenerator<Chunk> { if (whole) yield* kept; else yield* chunks(fh, size); };
    const spellings = [...new Set([deviceId, deviceId.toLowerCase(), deviceId.toUpperCase()])].map((x) => Buffer.from(`"deviceId":${JSON.stringify(x)}`));
    const deviceLines = new Map<number, string>();
    const policyLines = new Map<number, string>();
    let lastLines: string[] = [];
    // Pass 1, while reading: the id as typed, the policy changes, the last lines.
    for await (const c of chunks(fh, size, whole)) {
      if (whole) kept.push(c);
      linesWith(c, spellings[0]!, deviceLines);
      linesWith(c, POLICY_NEEDLE, policyLines);
      const tailStart = c.buf.lastIndexOf(10, Math.max(0, c.length - 1));
      const prevStart = tailStart > 0 ? c.buf.lastIndexOf(10, tailStart - 1) : -1;
      lastLines = [c.buf.toString('utf8', prevStart + 1, Math.max(prevStart + 1, tailStart)), c.buf.toString('utf8', tailStart + 1, c.length)].filter((x) => x !== '');
    }
    for (const spelling of spellings.slice(1)) {
      if (deviceLines.size > 0) break;
      for await (const c of again()) linesWith(c, spelling, deviceLines);
    }
    if (deviceLines.size === 0) {
      // Any letter case: every "deviceId" field, compared byte by byte.
      const lowered = Buffer.from(deviceId.toLowerCase(), 'latin1');
      for await (const c of again()) {
        for (let p = c.buf.indexOf(DEVICE_FIELD, 0); p >= 0 && p < c.length; p = c.buf.indexOf(DEVICE_FIELD, p + 1)) {
          if (!matchesAt(c.buf, p + DEVICE_FIELD.length, lowered, c.length + 1)) continue;
          const l = lineAt(c, p);
          deviceLines.set(l.offset, l.text);
        }
      }
    }
    let lastEvent: StoredEvent | undefined;
    for (const text of lastLines.reverse()) { lastEvent = parseLine(text); if (lastEvent) break; }
    if (!lastEvent && size > 0 && lastLines.length > 0) return right({ kind: 'fallback', why: 'the last lines do not parse' });

    const streams = new Set<string>();
    // Parsed lines by byte offset.
    const events = new Map<number, StoredEvent>();
    for (const [offset, text] of [...deviceLines, ...policyLines]) {
      const e = parseLine(text);
      if (!e) return right({ kind: 'fallback', why: `the line at byte ${offset} does not parse` });
      events.set(offset, e);
      if (deviceLines.has(offset) && e.stream.startsWith('eas-mailbox-')) streams.add(e.stream);
    }
    if (streams.size === 0) {
      // Unknown: every DeviceId the log names, for the closest ones.
      const known = new Map<string, string>();
      for await (const c of again()) {
        for (let p = c.buf.indexOf(DEVICE_FIELD, 0); p >= 0 && p < c.length; p = c.buf.indexOf(DEVICE_FIELD, p + 1)) {
          const v = p + DEVICE_FIELD.length;
          let q = c.buf.indexOf(0x22, v);
          while (q > 0 && c.buf[q - 1] === 0x5c) q = c.buf.indexOf(0x22, q + 1);
          if (q < 0 || q > c.length) continue;
          const raw = c.buf.toString('utf8', v, q);
          let id: string;
          try { id = raw.includes('\\') ? JSON.parse(`"${raw}"`) as string : raw; } catch { continue; }
          if (!known.has(id.toLowerCase())) known.set(id.toLowerCase(), id);
        }
      }
      return right({ kind: 'unknown', known: [...known.values()] });
    }

    // Pass 2: every line of the device's mailbox stream(s), by their prefix.
    const needles = [...streams].map((st) => Buffer.from(`{"stream":${JSON.stringify(st)},`));
    const streamLines = new Map<number, string>();
    for await (const c of again()) for (const needle of needles) linesWith(c, needle, streamLines, true);
    let parsed = events.size;
    for (const [offset, text] of streamLines) {
      if (events.has(offset)) continue;
      const e = parseLine(text);
      parsed++;
      if (!e) return right({ kind: 'fallback', why: `the line at byte ${offset} does not parse` });
      events.set(offset, e);
    }
    // In file order, positions must rise (a line moved or repeated is for the full
    // read to report) and every stream must be whole: revisions 0..n.
    const sorted = [...events].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.position <= sorted[i - 1]!.position) return right({ kind: 'fallback', why: 'positions out of order' });
    }
    const next = new Map<string, number>();
    for (const e of sorted) {
      if (!streams.has(e.stream)) continue;
      const want = next.get(e.stream) ?? 0;
      if (e.revision !== want) return right({ kind: 'fallback', why: `stream ${e.stream} is not whole in the scan` });
      next.set(e.stream, want + 1);
    }
    if (lastEvent && !sorted.some((e) => e.position === lastEvent!.position)) sorted.push(lastEvent);
    return right({ kind: 'found', events: sorted, parsed });
  } catch (err) {
    return left({ kind: 'io', message: `log ${path}: cannot read: ${ioText(err)}` });
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Explains one device of the log at `path` (see the file's header): the same
 * answer as `explain(readAll, deviceId, options)`, without folding the log.
 */
export async function explainFile(path: string, deviceId: string, options: { at?: string } = {}): Promise<Either<ExplainFileError, ExplainFileResult>> {
  const scanned = await scanFor(path, deviceId);
  if (isLeft(scanned)) return scanned;
  const s = scanned.right;
  if (s.kind === 'unknown') {
    const closest = closestIds(deviceId, s.known);
    return left({ kind: 'unknownDevice', deviceId, closest, message: `no device partnership with id "${deviceId}" in the log${closest.length ? ` (closest: ${closest.join(', ')})` : ''}` });
  }
  if (s.kind === 'found') {
    const r = explainEvents(s.events, deviceId, options);
    if (!isLeft(r)) return right({ explanation: r.right, via: 'scan', parsedLines: s.parsed });
    if (r.left.kind !== 'invalidEvent') return r;
  }
  // The full read: every line checked as readLog does.
  const all: StoredEvent[] = [];
  const folded = await foldLogFile(path, (e) => all.push(e));
  if (isLeft(folded)) return left({ kind: 'io', message: 'message' in folded.left ? folded.left.message : folded.left.kind });
  if (folded.right.errors.length > 0) {
    const errors = folded.right.errors.map((e) => ({ line: e.line, message: e.message.replace(/^line \d+: /, '') }));
    return left({ kind: 'invalidLog', errors, message: `log ${path} has ${errors.length} invalid line(s); first: line ${errors[0]!.line}: ${errors[0]!.message}` });
  }
  const r = explainEvents(all, deviceId, options);
  if (isLeft(r)) {
    if (r.left.kind === 'invalidEvent') {
      const line = r.left.position + 1;
      return left({ kind: 'invalidLog', errors: [{ line, message: r.left.message }], message: `log ${path} line ${line}: ${r.left.message}` });
    }
    return r;
  }
  return right({ explanation: r.right, via: 'full', parsedLines: folded.right.lines });
}

function render(x: Explanation): string[] {
  const out: string[] = [];
  const d = x.device;
  out.push(`Device ${x.deviceId} — ${[d.deviceType, d.deviceModel, d.deviceOS].filter(Boolean).join(' / ')}`);
  out.push(`Mailbox ${x.mailbox}${x.user.primarySmtpAddress ? ` <${x.user.primarySmtpAddress}>` : ''}${x.user.userPrincipalName && x.user.userPrincipalName !== x.user.primarySmtpAddress ? ` (UPN ${x.user.userPrincipalName})` : ''}, organization ${x.organization}`);
  out.push(`As of ${x.at}${x.present ? '' : ` — partnership removed at ${x.removedAt ?? '?'}`}`);
  out.push('');
  if (x.access) {
    out.push(`Access: ${x.access.toUpperCase()} — ${x.reason}${x.rule !== null ? ` (rule ${x.rule})` : ''}${x.governed ? '' : ', not governed by the engine'}`);
    out.push(`Decided ${x.decidedAt} by ${x.syncId} under policy revision ${x.policyRevision}`);
  } else out.push('Access: not decided yet');
  out.push('');
  out.push('Why:');
  for (const s of x.explanation) if (!(x.command && s.startsWith('Enforced by '))) out.push(`  - ${s}`);
  if (x.facts) {
    const f = x.facts;
    out.push('');
    out.push('Facts used:');
    out.push(`  groups           included: ${f.groups.included.join(', ') || '(none)'}; excluded: ${f.groups.excluded.join(', ') || '(none)'}`);
    out.push(`  managed device   ${f.intune ? `${f.intune.id} (${f.intune.managementAgent}) user ${f.intune.userPrincipalName ?? f.intune.emailAddress ?? '?'}` : '(none mapped)'}`);
    if (f.intune) out.push(`  compliance       ${f.intune.complianceState}${f.intune.graceDeadline ? `, grace deadline ${f.intune.graceDeadline}${f.graceExpired ? ' (passed)' : ''}` : ''}`);
    if (f.conflicts.length) out.push(`  conflicts        ${f.conflicts.map((c) => `${c.id} (${c.user})`).join(', ')}`);
    if (f.exception) out.push(`  exception        ${f.exception.type} "${f.exception.name}" → ${f.exception.access}${f.overriddenBy ? ` (overridden by ${f.overriddenBy})` : ''}`);
    if (f.exchange) out.push(`  exchange         ${f.exchange.access} (${f.exchange.reason}${f.exchange.rule ? `, ${f.exchange.rule}` : ''})`);
    out.push(`  policy           revision ${x.policyRevision}${x.policy ? `: ${x.policy.enabled ? 'enabled' : 'disabled'}, default ${x.policy.defaultAccessLevel ?? 'quarantine'}, ${(x.policy.platformExceptions ?? []).length} platform exception(s)` : ''}`);
  }
  out.push(`  lists            ${x.lists.allowed ? 'in the allowed list' : x.lists.blocked ? 'in the blocked list' : 'in neither list'} (as the engine knew them)`);
  out.push('');
  if (x.command) {
    out.push(`${x.governed === false ? 'Last list change by' : 'Enforced by'} ${x.command.commandId} (${x.command.syncId}), intended ${x.command.intendedAt}: ${x.command.outcome}${x.command.completedAt ? ` at ${x.command.completedAt}` : ''}${x.command.error ? ` — ${x.command.error.message}` : ''}`);
    out.push(`  ${commandToPowerShell(x.command.command)}`);
  } else out.push(x.access === 'quarantine' && x.governed ? 'Enforced by: the default access level (no list entry; no Set-CasMailbox named this device)' : 'Enforced by: no Set-CasMailbox named this device');
  for (const n of x.notes) out.push(`Note: ${n}`);
  for (const o of x.otherPartnerships) out.push(`Also in mailbox ${o.mailbox}: ${o.access ?? 'undecided'}${o.reason ? ` (${o.reason})` : ''}${o.present ? '' : ', removed'}`);
  out.push('');
  out.push('Timeline:');
  for (const t of x.timeline) out.push(`  ${t.at}  ${t.type.padEnd(22)} ${t.summary}`);
  return out;
}

export async function explain(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { at: { type: 'string' } }, 2);
  if (values.help) { printRaw(EXPLAIN_HELP); return 0; }
  const path = logPath(positionals[0], 'explain');
  const deviceId = positionals[1];
  if (!deviceId) throw new UsageError('explain needs a DEVICE_ID (see eas-sync explain --help)');
  const atMs = instantOption(values.at, 'at');
  const r = await explainFile(path, deviceId, atMs === undefined ? {} : { at: new Date(atMs).toISOString() });
  if (isLeft(r)) {
    const e = r.left;
    switch (e.kind) {
      case 'io': throw readFailure(path, { kind: 'io', message: e.message });
      case 'invalidLog': throw new InputFailure(e.errors.slice(0, 20).map((x) => `${path} line ${x.line}: ${x.message}`).join('\n'));
      case 'unknownDevice': throw new InputFailure(`${path}: no device partnership with id ${JSON.stringify(deviceId)}${e.closest.length ? `; closest known ids: ${e.closest.map((c) => JSON.stringify(c)).join(', ')}` : ''}`);
      default: throw new InputFailure(`${path}: ${e.message}`);
    }
  }
  const x = r.right.explanation;
  if (values.json) printJson(x);
  else for (const line of render(x)) print(line);
  return 0;
}
