// A stand-in for `pwsh` running the gateway's SCRIPT, for tests (pwsh is not
// installed here). It refuses to run unless argv is exactly the gateway's pwsh
// arguments with -EncodedCommand of the constant SCRIPT, then speaks the script's
// protocol on stdin/stdout: connect frame -> hello, call frames -> chunk/end frames,
// close/EOF -> Remove-PSSession, bye, exit 0. It does what the script does to a
// request (allowlist of operations and parameters, wire decoding, FirstSyncAfter ->
// -Filter with the one-day margin, -Confirm:$false) and forwards the resulting
// cmdlet call to Exchange: the test's FakeExchange over FAKE_PWSH_HOST (a socket,
// so every session shares one organization) or, without it, its own simulated
// organization (FAKE_PWSH_DEVICES, FAKE_PWSH_SEED).
//
// Output varies like real hosts: PowerShell 7 (ISO dates, enums as numbers) and
// Windows PowerShell 5.1 (\/Date(ms)\/, \u0027 escapes, enums as names or numbers,
// lone objects, { value, Count } wrappers), per chunk (FAKE_PWSH_SHAPES = ps7 | ps51 | mixed).
//
// Misbehaviour on request: FAKE_PWSH_NOISE=1 (noise everywhere), FAKE_PWSH_FAULTS
// (JSON list of FaultSpec, standalone mode, applied in every process), faults scripted by the host per call,
// FAKE_PWSH_DOWN, FAKE_PWSH_EXPECT_USER/PASSWORD, FAKE_PWSH_ECHO_SECRETS,
// FAKE_PWSH_VERSION=2010, FAKE_PWSH_NO_GET_USER=1, FAKE_PWSH_DIE_AT_START=1.
import * as net from 'node:net';
import * as readline from 'node:readline';
import { SCRIPT, OPERATIONS, PROJECTIONS, FILTER_MARGIN_DAYS, type Projection } from '../../adapters/powershell/scripts.js';
import { ENCODED_SCRIPT, PWSH_ARGS } from '../../adapters/powershell/session.js';
import { fromWire, fromWireString, FRAME_PREFIX, type PsErrorInfo, type PsValue } from '../../adapters/powershell/protocol.js';
import { ACCESS_LEVELS, CHARACTERISTICS } from '../../adapters/exports/powershell.js';
import { psJsonString } from '../../adapters/exports/ps-json.js';
import type { CmdletResult, ConnectRequest, ConnectResult, Fault, FaultSpec, PsRecord } from './fake-exchange.js';

const env = process.env;
const die = (code: number, why: string): never => {
  process.stderr.write(`fake-pwsh: ${why}\n`);
  process.exit(code);
};

// ------------------------------------------------------------------ argv: the constant, nothing else
const argv = process.argv.slice(2);
const enc = argv.indexOf('-EncodedCommand');
if (enc < 0 || enc !== argv.length - 2) die(64, '-EncodedCommand <script> must be the last argument');
const encoded = argv[enc + 1]!;
const script = Buffer.from(encoded, 'base64').toString('utf16le');
if (encoded !== ENCODED_SCRIPT || script !== SCRIPT) die(64, "the script is not the gateway's constant SCRIPT");
if (argv.slice(0, enc).join('\u0000') !== PWSH_ARGS.join('\u0000')) die(64, `unexpected arguments ${JSON.stringify(argv.slice(0, enc))}`);
if (env['FAKE_PWSH_DIE_AT_START'] === '1') die(1, 'dying at start, as told');

// ------------------------------------------------------------------ the Exchange behind it
interface Backend {
  connect(req: ConnectRequest): Promise<{ session: number; result: ConnectResult }>;
  call(session: number, op: string, splat: Record<string, PsValue>): Promise<{ result: CmdletResult; fault?: Fault }>;
  remove(session: number): Promise<void>;
}

function socketBackend(path: string): Backend {
  const socket = net.createConnection(path);
  socket.setEncoding('utf8');
  let next = 0;
  const waiting = new Map<number, (v: unknown) => void>();
  let buf = '';
  socket.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const m = JSON.parse(buf.slice(0, nl)) as { id: number };
      buf = buf.slice(nl + 1);
      waiting.get(m.id)?.(m);
      waiting.delete(m.id);
    }
  });
  socket.on('error', (e) => die(5, `lost the fake Exchange host: ${e.message}`));
  socket.on('close', () => {
    if (waiting.size > 0) die(5, 'the fake Exchange host went away');
  });
  const ask = <A>(m: object): Promise<A> =>
    new Promise((res) => {
      const id = ++next;
      waiting.set(id, res as (v: unknown) => void);
      socket.write(JSON.stringify({ ...m, id }) + '\n');
    });
  return {
    connect: (req) => ask({ t: 'connect', req }),
    call: (_session, op, splat) => ask({ t: 'call', op, splat }),
    remove: async () => {
      await ask({ t: 'remove' });
      socket.end();
    },
  };
}

async function localBackend(): Promise<Backend> {
  const { simulateOrganization } = await import('../../adapters/simulator/index.js');
  const { FakeExchange } = await import('./fake-exchange.js');
  const sim = simulateOrganization({ devices: Number(env['FAKE_PWSH_DEVICES'] ?? 20), seed: Number(env['FAKE_PWSH_SEED'] ?? 1) });
  const fake = new FakeExchange(sim.exchange, {
    ...(env['FAKE_PWSH_DOWN'] ? { down: env['FAKE_PWSH_DOWN'].split(',') } : {}),
    ...(env['FAKE_PWSH_EXPECT_USER'] !== undefined ? { expectUsername: env['FAKE_PWSH_EXPECT_USER'] } : {}),
    ...(env['FAKE_PWSH_EXPECT_PASSWORD'] !== undefined ? { expectPassword: env['FAKE_PWSH_EXPECT_PASSWORD'] } : {}),
    echoSecrets: env['FAKE_PWSH_ECHO_SECRETS'] === '1',
    version: env['FAKE_PWSH_VERSION'] === '2010' ? 2010 : 2019,
    noGetUser: env['FAKE_PWSH_NO_GET_USER'] === '1',
  });
  for (const f of JSON.parse(env['FAKE_PWSH_FAULTS'] ?? '[]') as FaultSpec[]) fake.fault(f);
  return {
    connect: async (req) => fake.connect(req),
    call: (session, op, splat) => fake.call(session, op, splat),
    remove: async (session) => fake.remove(session),
  };
}

// ------------------------------------------------------------------ output
const shapes = env['FAKE_PWSH_SHAPES'] ?? 'mixed';
const noisy = env['FAKE_PWSH_NOISE'] === '1';
let nonce = '';
let chunkNo = 0;

const ascii = (json: string) => json.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

const NOISE = [
  "WARNING: The command completed successfully but no settings of 'contoso.com/Users/Kim Akers' have been modified.\n",
  "\u001b[33;1mWARNING: Proxy creation has been skipped for the following command: 'Get-Help'\u001b[0m\n",
  'Processing data for a remote command failed… retrying ',
  `${FRAME_PREFIX}0123456789abcdef0123456789abcdef 2 {}\n`,
  `${FRAME_PREFIX}\n`,
  '{"t":"end","id":1,"ok":true,"count":0,"warnings":[]}\n',
  'ModuleType Version    Name                                ExportedCommands\n---------- -------    ----                                ----------------\nScript     1.0        tmp_x1y2z3.abc                      {Get-CasMailbox, Get-MobileDevice…}\n',
  '\r\n',
];
let noiseNo = 0;
function noise(force = false): void {
  if (!noisy && !force) return;
  const n = NOISE[noiseNo++ % NOISE.length]!;
  process.stdout.write(n);
  if (noiseNo % 3 === 0) process.stderr.write('WARNING: something the remote session said on stderr\n');
}

function frame(json: string, withNoise = false): void {
  noise(withNoise);
  const text = ascii(json);
  process.stdout.write(`\n${FRAME_PREFIX}${nonce} ${text.length} ${text}\n`);
  noise(withNoise);
}

const errorJson = (e: PsErrorInfo) =>
  JSON.stringify({
    category: e.category,
    reason: e.reason,
    fullyQualifiedErrorId: e.fullyQualifiedErrorId,
    message: e.message,
  });

// A record as the script projects it: the projection's fields, in order.
type Field = { name: string; type: 'date' | 'list' | 'bool' | undefined };
const fieldsOf = (p: Projection): Field[] =>
  PROJECTIONS[p].split(' ').map((f) => {
    const [name, type] = f.split(':');
    return { name: name!, type: type as Field['type'] };
  });
const ENUMS: Record<string, readonly string[]> = {
  DefaultAccessLevel: ACCESS_LEVELS,
  AccessLevel: ACCESS_LEVELS,
  Characteristic: CHARACTERISTICS,
};

const FAKE_CHUNK = 7;

type Style = 'ps7' | 'ps51names' | 'ps51numbers';

function value(field: Field, v: unknown, style: Style): string {
  if (v === null || v === undefined) return field.type === 'list' ? '[]' : 'null';
  const s51 = style !== 'ps7';
  const string = (x: string) => (s51 ? psJsonString(x) : JSON.stringify(x));
  if (field.type === 'date') {
    const ms = Date.parse(String(v));
    if (s51) return `"\\/Date(${ms})\\/"`;
    // PowerShell 7: ISO with an offset (here +02:00 or +00:00, same instant)
    const plus2 = ms % 2 === 0;
    const d = new Date(ms + (plus2 ? 2 * 3600_000 : 0)).toISOString().replace('Z', plus2 ? '+02:00' : '+00:00');
    return JSON.stringify(d);
  }
  if (field.type === 'list') {
    const items = (Array.isArray(v) ? v : [v]).map((x) => string(String(x)));
    return `[${items.join(',')}]`;
  }
  if (field.type === 'bool') return typeof v === 'boolean' ? String(v) : string(String(v));
  const names = ENUMS[field.name];
  if (names && typeof v === 'string' && style !== 'ps51names') {
    const i = names.indexOf(v);
    if (i >= 0) return String(i);
  }
  return string(String(v));
}

function recordJson(p: Projection, r: PsRecord, style: Style): string {
  return `{${fieldsOf(p)
    .map((f) => `${JSON.stringify(f.name)}:${value(f, r[f.name], style)}`)
    .join(',')}}`;
}

function writeChunks(id: number, p: Projection, records: PsRecord[], withNoise: boolean, afterFirst?: () => void): void {
  // small chunks (the script's hold CHUNK_RECORDS) so that every call streams several
  for (let i = 0; i < records.length; i += FAKE_CHUNK) {
    const batch = records.slice(i, i + FAKE_CHUNK);
    const variant = shapes === 'ps7' ? 0 : shapes === 'ps51' ? 1 + (chunkNo % 3) : chunkNo % 4;
    chunkNo++;
    if (variant === 0) {
      frame(`{"t":"chunk","id":${id},"records":[${batch.map((r) => recordJson(p, r, 'ps7')).join(',')}]}`, withNoise);
    } else if (variant === 1) {
      frame(
        `{"t":"chunk","id":${id},"records":[${batch.map((r, k) => recordJson(p, r, k % 2 ? 'ps51numbers' : 'ps51names')).join(',')}]}`,
        withNoise,
      );
    } else if (variant === 2) {
      // one result per chunk: ConvertTo-Json writes a lone object
      for (const r of batch) frame(`{"t":"chunk","id":${id},"records":${recordJson(p, r, 'ps51names')}}`, withNoise);
    } else {
      const items = batch.map((r) => recordJson(p, r, 'ps51names'));
      frame(`{"t":"chunk","id":${id},"records":{"value":[${items.join(',')}],"Count":${batch.length}}}`, withNoise);
    }
    if (afterFirst) {
      afterFirst();
      return;
    }
  }
}

// ------------------------------------------------------------------ the script's request handling
class Refused extends Error {
  constructor(readonly info: PsErrorInfo) {
    super(info.message);
  }
}

/** What the script does to a request before calling the cmdlet. */
function toSplat(req: Record<string, unknown>): { op: string; splat: Record<string, PsValue> } {
  const op = typeof req['op'] === 'string' ? req['op'] : '';
  const spec = Object.entries(OPERATIONS).find(([name]) => name.toLowerCase() === op.toLowerCase());
  if (req['t'] !== 'call' || !spec) {
    throw new Refused({
      category: 'PermissionDenied',
      reason: '',
      fullyQualifiedErrorId: 'EasSync.OperationNotAllowed',
      message: 'This operation is not in the allowlist.',
    });
  }
  const [name, operation] = spec;
  const splat: Record<string, PsValue> = {};
  const args = (req['args'] ?? {}) as Record<string, unknown>;
  for (const [k, w] of Object.entries(args)) {
    const param = operation.params.find((p) => p.toLowerCase() === k.toLowerCase());
    if (!param)
      throw new Refused({
        category: 'InvalidArgument',
        reason: '',
        fullyQualifiedErrorId: 'EasSync.ParameterNotAllowed',
        message: 'A parameter is not in the allowlist of this operation.',
      });
    const v = fromWire(w);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const key of Object.keys(v))
        if (key !== 'Add' && key !== 'Remove')
          throw new Refused({
            category: 'NotSpecified',
            reason: 'RuntimeException',
            fullyQualifiedErrorId: 'only Add and Remove may be nested in a request',
            message: 'only Add and Remove may be nested in a request',
          });
    }
    splat[param] = v;
  }
  if ('FirstSyncAfter' in splat) {
    const ms = Date.parse(String(splat['FirstSyncAfter']));
    if (Number.isNaN(ms))
      throw new Refused({
        category: 'NotSpecified',
        reason: 'FormatException',
        fullyQualifiedErrorId: 'FormatException',
        message: 'String was not recognized as a valid DateTime.',
      });
    delete splat['FirstSyncAfter'];
    const margin = new Date(ms - FILTER_MARGIN_DAYS * 86_400_000).toISOString().slice(0, 19);
    splat['Filter'] = `FirstSyncTime -gt '${margin}'`;
  }
  if ('WithPartnership' in splat) {
    if (splat['WithPartnership'] === true) splat['Filter'] = 'HasActiveSyncDevicePartnership -eq $true';
    delete splat['WithPartnership'];
  }
  if (operation.confirm) splat['Confirm'] = false;
  return { op: name, splat };
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  const backend = env['FAKE_PWSH_HOST'] ? socketBackend(env['FAKE_PWSH_HOST']) : await localBackend();
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();

  const first = await lines.next();
  let connect: Record<string, unknown> | undefined;
  try {
    connect = first.done ? undefined : (JSON.parse(first.value) as Record<string, unknown>);
  } catch {
    connect = undefined;
  }
  if (!connect || connect['t'] !== 'connect' || typeof connect['nonce'] !== 'string' || !/^[A-Za-z0-9]{16,64}$/.test(connect['nonce'])) {
    die(3, 'eas-sync host: the first frame must be a connect frame');
  }
  nonce = connect!['nonce'] as string;
  const wire = (k: string) => (typeof connect![k] === 'string' ? fromWireString(connect![k]) : undefined);
  const uri = wire('connectionUri') ?? '';
  const auth = wire('authentication') ?? '';
  const username = wire('username');
  const password = wire('password');
  const m = /^https?:\/\/([A-Za-z0-9][A-Za-z0-9.-]*)(:[0-9]{1,5})?\/PowerShell\/?$/.exec(uri);
  const helloError = (e: PsErrorInfo) => {
    frame(`{"t":"hello","ok":false,"error":${errorJson(e)}}`);
    process.exit(2);
  };
  if (!m)
    helloError({
      category: 'NotSpecified',
      reason: 'RuntimeException',
      fullyQualifiedErrorId: 'The connection URI must be http(s)://<server>/PowerShell/.',
      message: 'The connection URI must be http(s)://<server>/PowerShell/.',
    });
  if (!['Kerberos', 'Basic', 'Negotiate', 'Default'].includes(auth))
    helloError({
      category: 'NotSpecified',
      reason: 'RuntimeException',
      fullyQualifiedErrorId: 'Unsupported authentication.',
      message: 'Unsupported authentication.',
    });
  const envHasPassword = password !== undefined && Object.values(process.env).some((v) => v !== undefined && v.includes(password));
  const { session, result } = await backend.connect({
    server: m![1]!,
    authentication: auth,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    script,
    argv: process.argv.slice(2),
    pid: process.pid,
    envHasPassword,
  });
  if (!result.ok) return helloError(result.error);
  frame(JSON.stringify({ t: 'hello', ok: true, psVersion: result.psVersion, cmdlets: result.cmdlets, warnings: result.warnings }));

  const bye = async (code = 0) => {
    await backend.remove(session);
    frame('{"t":"bye"}');
    process.exit(code);
  };

  for (;;) {
    const next = await lines.next();
    if (next.done) return bye();
    const line = next.value;
    if (line.trim() === '') continue;
    let req: Record<string, unknown>;
    try {
      req = JSON.parse(line) as Record<string, unknown>;
    } catch {
      frame(
        `{"t":"end","id":0,"ok":false,"error":${errorJson({ category: 'ParserError', reason: '', fullyQualifiedErrorId: 'EasSync.BadFrame', message: 'A request frame is not valid JSON.' })}}`,
      );
      continue;
    }
    if (req['t'] === 'close') return bye();
    const id = typeof req['id'] === 'number' ? req['id'] : 0;
    let call: { op: string; splat: Record<string, PsValue> };
    try {
      call = toSplat(req);
    } catch (e) {
      const info =
        e instanceof Refused
          ? e.info
          : {
              category: 'NotSpecified',
              reason: 'RuntimeException',
              fullyQualifiedErrorId: 'RuntimeException',
              message: String((e as Error).message),
            };
      frame(`{"t":"end","id":${id},"ok":false,"open":true,"error":${errorJson(info)}}`);
      continue;
    }
    const { result: r, fault } = await backend.call(session, call.op, call.splat);
    const kind = fault?.kind;
    if (kind === 'hang') {
      setInterval(() => undefined, 1 << 30);
      await new Promise(() => undefined); // until killed
    }
    if (kind === 'die') process.exit(137);
    if (kind === 'delay') await new Promise((res) => setTimeout(res, fault?.delayMs ?? 100));
    if (kind === 'corrupt') {
      process.stdout.write(`\n${FRAME_PREFIX}${nonce} 999 {"t":"end","id":${id},"ok":true}\n`);
      continue;
    }
    if (kind === 'brokenSession') {
      frame(
        `{"t":"end","id":${id},"ok":false,"open":false,"error":${errorJson({
          category: 'OperationStopped',
          reason: 'PSRemotingTransportException',
          fullyQualifiedErrorId: 'JobFailure',
          message:
            'Processing data from remote server cas01.contoso.com failed with the following error message: The session state is Broken. For more information, see the about_Remote_Troubleshooting Help topic.',
        })}}`,
      );
      return bye();
    }
    const withNoise = kind === 'noise';
    if (!r.ok) {
      frame(`{"t":"end","id":${id},"ok":false,"open":true,"error":${errorJson(r.error)}}`, withNoise);
      continue;
    }
    const select = OPERATIONS[call.op]!.select;
    if (select && r.records.length > 0) {
      writeChunks(id, select, r.records, withNoise, kind === 'dieAfterChunk' ? () => process.exit(137) : undefined);
    }
    if (kind === 'dieAfterChunk') process.exit(137);
    frame(
      `{"t":"end","id":${id},"ok":true,"open":true,"count":${r.records.length},"warnings":${JSON.stringify(r.warnings ?? [])}}`,
      withNoise,
    );
  }
}

main().catch((e: unknown) => die(70, `crashed: ${(e as Error)?.stack ?? String(e)}`));
