// Output helpers for the CLI: one JSON document on stdout with --json, progress
// on stderr only when it is a terminal, and usage errors as exit code 2.
export class UsageError extends Error {}
/** Bad input (a file, a line, a field): exit code 2. */
export class InputFailure extends Error {}
/** The work failed (a gateway down, a conflict): exit code 1. */
export class WorkFailure extends Error {}

// A reader that goes away (`eas-sync replay --json | head`) closes the pipe: the
// command still finishes its work (a sync still records its end), it just stops writing.
let stdoutClosed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') {
    stdoutClosed = true;
    return;
  }
  process.stderr.write(`eas-sync: cannot write the output: ${err.message}\n`);
  process.exitCode = 1;
  stdoutClosed = true;
});
/** Writes to stdout unless its reader has gone. */
export const out = (text: string): void => {
  if (!stdoutClosed) process.stdout.write(text);
};

export const printJson = (value: unknown): void => {
  out(JSON.stringify(value, null, 2) + '\n');
};

// Control, format and line/paragraph separator characters: terminal escapes,
// CR/LF, bidi overrides, zero-width characters, NUL. Device fields are chosen by
// whoever holds the phone, so text output shows these as escapes, never raw.
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `s` with every control or invisible formatting character written as an escape (`\n`, `\u{1B}`, `\u{202E}`). */
export const visible = (s: string): string => s.replace(HIDDEN, (c) => NAMED[c] ?? `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`);

/** One line of text output, every hidden character shown as an escape. */
export const print = (line = ''): void => {
  out(visible(line) + '\n');
};

/** Output whose characters are already safe by construction (the reviewable PowerShell script). */
export const printRaw = (line = ''): void => {
  out(line + '\n');
};

export function progressBar(label: string): { update(done: number, total: number): void; end(): void } {
  const tty = process.stderr.isTTY === true;
  let last = -1;
  return {
    update(done, total) {
      if (!tty || total <= 0) return;
      const pct = Math.min(100, Math.floor((done / total) * 100));
      if (pct === last) return;
      last = pct;
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      process.stderr.write(
        `\r${label.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${total}`,
      );
    },
    end() {
      if (tty && last >= 0) process.stderr.write('\n');
      last = -1;
    },
  };
}
