// Reviewable PowerShell (`eas-sync plan --format powershell`): every value is a
// single-quoted literal that PowerShell's tokenizer reads back as exactly that
// value, and nothing outside the literals comes from data.
//
// PowerShell's rule (tokenizer.cs, ScanStringLiteral): inside a single-quoted
// string, a single-quote character followed by another single-quote character
// appends the second; a single-quote character followed by anything else ends
// the string. Single-quote characters: ' U+2018 U+2019 U+201A U+201B.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { psQuote, commandToPowerShell, INVISIBLE } from '../adapters/powershell/quote.js';
import type { ExchangeCommand } from '../src/commands.js';
import { SAMPLE_PLAN } from './support/sample-plan.js';

const SINGLE_QUOTES = new Set(["'", '\u2018', '\u2019', '\u201A', '\u201B']);

/** Reads a single-quoted literal starting at `start` the way PowerShell does. */
function readLiteral(text: string, start: number): { value: string; end: number } {
  if (!SINGLE_QUOTES.has(text[start]!)) throw new Error(`no literal at ${start}`);
  let i = start + 1;
  let value = '';
  for (;;) {
    if (i >= text.length) throw new Error('unterminated literal');
    const c = text[i]!;
    if (SINGLE_QUOTES.has(c)) {
      if (i + 1 < text.length && SINGLE_QUOTES.has(text[i + 1]!)) {
        value += text[i + 1];
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += c;
    i++;
  }
}

type Token = { t: 'str'; v: string } | { t: 'word'; v: string } | { t: 'punct'; v: string };

/**
 * Reads a value written by psQuote at `start`: a literal, or `(` literals and
 * `[char]0xXXXX` codes joined by ` + ` `)` beginning with a literal (string + char
 * concatenates; char + char would add numbers). Anything else is an error.
 */
function readValue(text: string, start: number): { value: string; end: number } {
  if (text[start] !== '(') return readLiteral(text, start);
  let i = start + 1;
  let value = '';
  for (let n = 0; ; n++) {
    if (SINGLE_QUOTES.has(text[i]!)) {
      const r = readLiteral(text, i);
      value += r.value;
      i = r.end;
    } else {
      if (n === 0) throw new Error('a concatenation must begin with a literal');
      const m = /^\[char\]0x([0-9A-F]{4})/.exec(text.slice(i));
      if (!m) throw new Error(`unexpected ${JSON.stringify(text.slice(i, i + 12))} in a value`);
      value += String.fromCharCode(parseInt(m[1]!, 16));
      i += m[0].length;
    }
    if (text[i] === ')') return { value, end: i + 1 };
    if (!text.startsWith(' + ', i)) throw new Error(`expected + or ) at ${i}`);
    i += 3;
  }
}

/** The tokens of one generated command line (literals, words, `@{ } ; = ,`). */
function tokenize(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ') {
      i++;
      continue;
    }
    if (SINGLE_QUOTES.has(c) || c === '(') {
      const r = readValue(line, i);
      out.push({ t: 'str', v: r.value });
      i = r.end;
      continue;
    }
    if (line.startsWith('@{', i)) {
      out.push({ t: 'punct', v: '@{' });
      i += 2;
      continue;
    }
    if ('};=,'.includes(c)) {
      out.push({ t: 'punct', v: c });
      i++;
      continue;
    }
    let j = i;
    while (j < line.length && !' };=,('.includes(line[j]!) && !SINGLE_QUOTES.has(line[j]!)) j++;
    out.push({ t: 'word', v: line.slice(i, j) });
    i = j;
  }
  return out;
}

const WORDS = new Set([
  'Set-CasMailbox',
  'Set-ActiveSyncOrganizationSettings',
  'New-ActiveSyncDeviceAccessRule',
  'Set-ActiveSyncDeviceAccessRule',
  'Remove-ActiveSyncDeviceAccessRule',
  'Clear-MobileDevice',
  'Remove-MobileDevice',
  '-AccountOnly',
  '-Identity',
  '-ActiveSyncAllowedDeviceIDs',
  '-ActiveSyncBlockedDeviceIDs',
  '-DefaultAccessLevel',
  '-UserMailInsert',
  '-AdminMailRecipients',
  '-Characteristic',
  '-QueryString',
  '-AccessLevel',
  '-Confirm:$false',
  'Add',
  'Remove',
  '$null',
]);

type ParamValue = string[] | { Add?: string[]; Remove?: string[] } | null | true;

/** Cmdlet and parameters of a line; every bare word must be from the fixed vocabulary. */
function parseCommand(line: string): { cmdlet: string; params: Record<string, ParamValue> } {
  const tokens = tokenize(line);
  for (const t of tokens) if (t.t === 'word' && !WORDS.has(t.v)) throw new Error(`unexpected bare word ${JSON.stringify(t.v)} in ${line}`);
  let k = 0;
  const next = () => tokens[k++];
  const first = next();
  if (first?.t !== 'word') throw new Error('no cmdlet');
  const params: Record<string, ParamValue> = {};
  const strList = (): string[] => {
    const list: string[] = [];
    for (;;) {
      const s = next();
      if (s?.t !== 'str') throw new Error(`expected a literal in ${line}`);
      list.push(s.v);
      if (tokens[k]?.t === 'punct' && tokens[k]!.v === ',') {
        k++;
        continue;
      }
      return list;
    }
  };
  while (k < tokens.length) {
    const p = next()!;
    if (p.t !== 'word' || !p.v.startsWith('-')) throw new Error(`expected a parameter, got ${JSON.stringify(p)}`);
    if (p.v === '-Confirm:$false' || p.v === '-AccountOnly') {
      params[p.v === '-AccountOnly' ? 'AccountOnly' : 'Confirm'] = true;
      continue;
    }
    const name = p.v.slice(1);
    const v = tokens[k];
    if (v?.t === 'word' && v.v === '$null') {
      k++;
      params[name] = null;
      continue;
    }
    if (v?.t === 'punct' && v.v === '@{') {
      k++;
      const h: { Add?: string[]; Remove?: string[] } = {};
      for (;;) {
        const key = next();
        if (key?.t !== 'word' || (key.v !== 'Add' && key.v !== 'Remove')) throw new Error('expected Add or Remove');
        if (next()?.v !== '=') throw new Error('expected =');
        h[key.v] = strList();
        const sep = next();
        if (sep?.v === '}') break;
        if (sep?.v !== ';') throw new Error('expected ; or }');
      }
      params[name] = h;
      continue;
    }
    params[name] = strList();
  }
  return { cmdlet: first.v, params };
}

// Quotes of every kind, PowerShell metacharacters, line ends, any code point.
/** Characters a reviewer must see as codes: controls, separators, bidi, zero-width, BOM, lone surrogates. */
const INVISIBLES = [
  '\u0000',
  '\u0007',
  '\u0008',
  '\t',
  '\n',
  '\u000B',
  '\u000C',
  '\r',
  '\u001B',
  '\u001F',
  '\u007F',
  '\u0080',
  '\u0085',
  '\u009B',
  '\u009F',
  '\u00AD',
  '\u061C',
  '\u180E',
  '\u200B',
  '\u200C',
  '\u200D',
  '\u200E',
  '\u200F',
  '\u2028',
  '\u2029',
  '\u202A',
  '\u202B',
  '\u202C',
  '\u202D',
  '\u202E',
  '\u2060',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\uFEFF',
  '\uFFF9',
  '\uD800',
  '\uDBFF',
  '\uDC00',
  '\uDFFF',
];
const RAW_INVISIBLE = new RegExp(INVISIBLE.source);
const fragment = fc.constantFrom(
  "'",
  '\u2018',
  '\u2019',
  '\u201A',
  '\u201B',
  "''",
  '\u2019\u2019',
  '"',
  '\u201C',
  '\u201D',
  '`',
  '$',
  '$(',
  '${',
  '@{',
  '@(',
  '(',
  ')',
  '}',
  ';',
  ',',
  '=',
  '|',
  '&',
  '#',
  '<#',
  '\r\n',
  ' ',
  '--%',
  '-Confirm:$false',
  'Remove-Mailbox -Identity *',
  'Add',
  '$null',
  ' + ',
  '[char]0x001B',
  '\u001B[31m',
  '\u{1F4F1}',
  'é',
  '§',
  ...INVISIBLES,
);
const hostile = fc.oneof(
  fc.array(fc.oneof(fragment, fc.string({ maxLength: 3 })), { maxLength: 10 }).map((a) => a.join('')),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

test('psQuote doubles exactly the five single-quote characters', () => {
  assert.is(psQuote("O'Brien"), "'O''Brien'");
  assert.is(psQuote('a\u2018b\u2019c\u201Ad\u201Be'), "'a\u2018\u2018b\u2019\u2019c\u201A\u201Ad\u201B\u201Be'");
  assert.is(psQuote('"$(x)`n"'), `'"$(x)\`n"'`, 'nothing else is special inside single quotes');
  assert.is(psQuote(''), "''");
});

test('psQuote writes invisible and control characters as [char] codes, starting with a literal', () => {
  assert.is(psQuote('abc\u001Bdef'), "('abc' + [char]0x001B + 'def')");
  assert.is(psQuote('\u001B[31mred'), "('' + [char]0x001B + '[31mred')");
  assert.is(psQuote('a\r\nb'), "('a' + [char]0x000D + [char]0x000A + 'b')");
  assert.is(psQuote('\u202Egpj.exe'), "('' + [char]0x202E + 'gpj.exe')");
  assert.is(psQuote("x\u200By'"), "('x' + [char]0x200B + 'y''')");
  assert.is(psQuote('\uFEFF'), "('' + [char]0xFEFF)");
  assert.is(psQuote('nul\u0000'), "('nul' + [char]0x0000)");
  assert.is(psQuote('\u{1F4F1}\uD800'), "('\u{1F4F1}' + [char]0xD800)", 'a pair is visible (kept), a lone surrogate is not');
  assert.is(psQuote('line\u2028para\u2029'), "('line' + [char]0x2028 + 'para' + [char]0x2029)");
  assert.is(psQuote('tab\there'), "('tab' + [char]0x0009 + 'here')");
});

test("reading psQuote(value) back with PowerShell's rules yields the value, ends where it should, and shows no invisible character (property)", () => {
  fc.assert(
    fc.property(hostile, fc.string({ maxLength: 5 }), (value, after) => {
      const q = psQuote(value);
      const r = readValue(q + ' ' + after, 0);
      assert.is(r.value, value);
      assert.is(r.end, q.length);
      assert.not.ok(RAW_INVISIBLE.test(q), `no raw invisible character in ${JSON.stringify(q)}`);
      if (!RAW_INVISIBLE.test(value)) assert.is(readLiteral(q, 0).end, q.length, 'a value without one stays a plain literal');
    }),
    { numRuns: 5000 },
  );
});

const list = fc.array(hostile, { maxLength: 3 });
const level = fc.constantFrom('Allow' as const, 'Block' as const, 'Quarantine' as const);
const command: fc.Arbitrary<ExchangeCommand> = fc.oneof(
  fc.record({
    kind: fc.constant('setCasMailbox' as const),
    mailbox: hostile,
    allowedDeviceIds: fc.record({ add: list, remove: list }),
    blockedDeviceIds: fc.record({ add: list, remove: list }),
  }),
  fc.record(
    { kind: fc.constant('setOrgSettings' as const), defaultAccessLevel: level, userMailInsert: hostile, adminMailRecipients: list },
    { requiredKeys: ['kind'] },
  ),
  fc.record({
    kind: fc.constant('newDeviceAccessRule' as const),
    characteristic: fc.constantFrom('DeviceType' as const, 'DeviceModel' as const),
    queryString: hostile,
    accessLevel: level,
  }),
  fc.record({ kind: fc.constant('setDeviceAccessRule' as const), name: hostile, accessLevel: level }),
  fc.record({ kind: fc.constant('removeDeviceAccessRule' as const), name: hostile }),
  fc.record({
    kind: fc.constant('clearMobileDevice' as const),
    identity: hostile,
    deviceId: hostile,
    mailbox: hostile,
    accountOnly: fc.boolean(),
    wipeId: hostile,
  }),
  fc.record({ kind: fc.constant('removeMobileDevice' as const), identity: hostile, deviceId: hostile, mailbox: hostile }),
);

/** What the line must say for `c`: the same values as the command (and as `plan --json`). */
function expected(c: ExchangeCommand): { cmdlet: string; params: Record<string, ParamValue> } {
  const h = (l: { add: readonly string[]; remove: readonly string[] }) => ({
    ...(l.add.length ? { Add: [...l.add] } : {}),
    ...(l.remove.length ? { Remove: [...l.remove] } : {}),
  });
  switch (c.kind) {
    case 'setCasMailbox': {
      const params: Record<string, ParamValue> = { Identity: [c.mailbox] };
      if (c.allowedDeviceIds.add.length || c.allowedDeviceIds.remove.length) params['ActiveSyncAllowedDeviceIDs'] = h(c.allowedDeviceIds);
      if (c.blockedDeviceIds.add.length || c.blockedDeviceIds.remove.length) params['ActiveSyncBlockedDeviceIDs'] = h(c.blockedDeviceIds);
      return { cmdlet: 'Set-CasMailbox', params };
    }
    case 'setOrgSettings': {
      const params: Record<string, ParamValue> = {};
      if (c.defaultAccessLevel !== undefined) params['DefaultAccessLevel'] = [c.defaultAccessLevel];
      if (c.userMailInsert !== undefined) params['UserMailInsert'] = [c.userMailInsert];
      if (c.adminMailRecipients !== undefined)
        params['AdminMailRecipients'] = c.adminMailRecipients.length ? [...c.adminMailRecipients] : null;
      return { cmdlet: 'Set-ActiveSyncOrganizationSettings', params };
    }
    case 'newDeviceAccessRule':
      return {
        cmdlet: 'New-ActiveSyncDeviceAccessRule',
        params: { Characteristic: [c.characteristic], QueryString: [c.queryString], AccessLevel: [c.accessLevel] },
      };
    case 'setDeviceAccessRule':
      return { cmdlet: 'Set-ActiveSyncDeviceAccessRule', params: { Identity: [c.name], AccessLevel: [c.accessLevel] } };
    case 'removeDeviceAccessRule':
      return { cmdlet: 'Remove-ActiveSyncDeviceAccessRule', params: { Identity: [c.name], Confirm: true } };
    case 'clearMobileDevice':
      return {
        cmdlet: 'Clear-MobileDevice',
        params: { Identity: [c.identity], ...(c.accountOnly ? { AccountOnly: true } : {}), Confirm: true },
      };
    case 'removeMobileDevice':
      return { cmdlet: 'Remove-MobileDevice', params: { Identity: [c.identity], Confirm: true } };
  }
}

test("commandToPowerShell: only fixed words outside literals, the literals are the command's values, nothing invisible (property)", () => {
  fc.assert(
    fc.property(command, (c) => {
      const line = commandToPowerShell(c);
      assert.equal(parseCommand(line), expected(c));
      assert.not.ok(RAW_INVISIBLE.test(line));
    }),
    { numRuns: 3000 },
  );
});

test('a plan line for a hostile mailbox and device ids', () => {
  const line = commandToPowerShell({
    kind: 'setCasMailbox',
    mailbox: "contoso.com/Users/Kim O'Brien\u2019s; Remove-Mailbox x",
    allowedDeviceIds: { add: ['$(Remove-Mailbox -Identity *)'], remove: [] },
    blockedDeviceIds: { add: [], remove: ['a\u201Bb'] },
  });
  assert.is(
    line,
    "Set-CasMailbox -Identity 'contoso.com/Users/Kim O''Brien\u2019\u2019s; Remove-Mailbox x' -ActiveSyncAllowedDeviceIDs @{Add='$(Remove-Mailbox -Identity *)'} -ActiveSyncBlockedDeviceIDs @{Remove='a\u201B\u201Bb'}",
  );
});

test('eas-sync plan: the PowerShell script says the same values as --json', () => {
  const main = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
  const exports = fileURLToPath(new URL('../../examples/exports/', import.meta.url));
  const args = [...SAMPLE_PLAN];
  const run = (extra: string[]) => spawnSync(process.execPath, [main, ...args, ...extra], { cwd: exports, encoding: 'utf8' });
  const asJson = run(['--json']);
  const asScript = run(['--format', 'powershell']);
  assert.is(asJson.status, 0, asJson.stderr);
  assert.is(asScript.status, 0, asScript.stderr);
  const commands = (
    JSON.parse(asJson.stdout) as {
      commands: {
        mailbox: string;
        allowedDeviceIds: { add: string[]; remove: string[] };
        blockedDeviceIds: { add: string[]; remove: string[] };
      }[];
    }
  ).commands;
  const lines = asScript.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.ok(commands.length > 0);
  assert.equal(
    lines.map(parseCommand),
    commands.map((c) => expected({ kind: 'setCasMailbox', ...c })),
  );
});

test.run();
