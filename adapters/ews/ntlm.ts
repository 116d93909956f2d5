// The NTLMv2 handshake (MS-NLMP) for HTTP: the NEGOTIATE message, the server's
// CHALLENGE parsed with every offset checked, and the AUTHENTICATE message
// with the NTLMv2 response. Only NTLMv2 is ever sent (no LM or NTLMv1
// responses, which Windows refuses from LmCompatibilityLevel 5 and which
// leak crackable hashes). Over TLS the response carries the channel binding
// (tls-server-end-point), which Exchange's Extended Protection requires.
//
// MD4 (for the NT hash) is not in OpenSSL 3's default provider, so Node's
// crypto refuses it: js-md4 computes it; HMAC-MD5, MD5 and the random client
// challenge come from node:crypto.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import md4 from 'js-md4';

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');
export const FLAGS = {
  UNICODE: 0x00000001,
  REQUEST_TARGET: 0x00000004,
  NTLM: 0x00000200,
  ALWAYS_SIGN: 0x00008000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  KEY_128: 0x20000000,
  KEY_56: 0x80000000,
} as const;
const NEGOTIATE_FLAGS =
  (FLAGS.UNICODE |
    FLAGS.REQUEST_TARGET |
    FLAGS.NTLM |
    FLAGS.ALWAYS_SIGN |
    FLAGS.EXTENDED_SESSIONSECURITY |
    FLAGS.TARGET_INFO |
    FLAGS.KEY_128 |
    FLAGS.KEY_56) >>>
  0;

/** AV pair ids (MS-NLMP 2.2.2.1). */
export const AV = { EOL: 0, NB_COMPUTER: 1, NB_DOMAIN: 2, DNS_COMPUTER: 3, DNS_DOMAIN: 4, TIMESTAMP: 7, CHANNEL_BINDINGS: 10 } as const;

export interface Challenge {
  readonly flags: number;
  readonly serverChallenge: Buffer;
  readonly targetName: string;
  readonly targetInfo: Buffer;
}

export interface NtlmCredentials {
  /** `DOMAIN\user`, or `user@domain.com` (sent with an empty domain, as Windows does for UPNs). */
  readonly username: string;
  readonly password: string;
  readonly workstation?: string;
}

/** `DOMAIN\user` → { domain, user }; a UPN keeps the domain empty. */
export function splitUser(username: string): { domain: string; user: string } {
  const i = username.indexOf('\\');
  return i >= 0 ? { domain: username.slice(0, i), user: username.slice(i + 1) } : { domain: '', user: username };
}

/** The NT hash: MD4 of the UTF-16LE password. */
export const ntHash = (password: string): Buffer => Buffer.from(md4.arrayBuffer(Buffer.from(password, 'utf16le')));
const hmacMd5 = (key: Buffer, ...data: Buffer[]) => {
  const h = createHmac('md5', key);
  for (const d of data) h.update(d);
  return h.digest();
};
/** NTOWFv2: HMAC-MD5 of the upper-cased user and the domain, keyed by the NT hash. */
export const ntowfv2 = (password: string, user: string, domain: string): Buffer =>
  hmacMd5(ntHash(password), Buffer.from(user.toUpperCase() + domain, 'utf16le'));

export function negotiateMessage(): string {
  const b = Buffer.alloc(32);
  SIGNATURE.copy(b, 0);
  b.writeUInt32LE(1, 8);
  b.writeUInt32LE(NEGOTIATE_FLAGS, 12);
  // empty domain and workstation security buffers, offset at the end
  b.writeUInt32LE(32, 20);
  b.writeUInt32LE(32, 28);
  return b.toString('base64');
}

/** The CHALLENGE message from a `WWW-Authenticate: NTLM <base64>` value; undefined when malformed. */
export function parseChallenge(base64: string): Challenge | undefined {
  const b = Buffer.from(base64, 'base64');
  if (b.length < 32 || !b.subarray(0, 8).equals(SIGNATURE) || b.readUInt32LE(8) !== 2) return undefined;
  const field = (at: number): Buffer | undefined => {
    const len = b.readUInt16LE(at);
    const off = b.readUInt32LE(at + 4);
    if (len === 0) return Buffer.alloc(0);
    return off + len <= b.length ? b.subarray(off, off + len) : undefined;
  };
  const flags = b.readUInt32LE(20);
  const name = field(12);
  if (!name) return undefined;
  let targetInfo: Buffer = Buffer.alloc(0);
  if (flags & FLAGS.TARGET_INFO && b.length >= 48) {
    const ti = field(40);
    if (!ti) return undefined;
    targetInfo = ti;
  }
  return {
    flags,
    serverChallenge: Buffer.from(b.subarray(24, 32)),
    targetName: name.toString(flags & FLAGS.UNICODE ? 'utf16le' : 'latin1'),
    targetInfo: Buffer.from(targetInfo),
  };
}

/** AV pairs as a list, stopping at MsvAvEOL; undefined when malformed. */
export function readAvPairs(info: Buffer): Array<{ id: number; value: Buffer }> | undefined {
  const out: Array<{ id: number; value: Buffer }> = [];
  let i = 0;
  while (i + 4 <= info.length) {
    const id = info.readUInt16LE(i);
    const len = info.readUInt16LE(i + 2);
    if (id === AV.EOL) return out;
    if (i + 4 + len > info.length) return undefined;
    out.push({ id, value: Buffer.from(info.subarray(i + 4, i + 4 + len)) });
    i += 4 + len;
  }
  return info.length === 0 ? out : undefined;
}

export function writeAvPairs(pairs: ReadonlyArray<{ id: number; value: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const p of pairs) {
    const h = Buffer.alloc(4);
    h.writeUInt16LE(p.id, 0);
    h.writeUInt16LE(p.value.length, 2);
    parts.push(h, p.value);
  }
  parts.push(Buffer.alloc(4)); // MsvAvEOL
  return Buffer.concat(parts);
}

/**
 * The channel binding hash (MS-NLMP MsvAvChannelBindings): MD5 of the
 * gss_channel_bindings_struct whose application data is
 * `tls-server-end-point:` + the hash of the server's certificate (RFC 5929:
 * SHA-256 unless the certificate is signed with a stronger hash).
 */
export function channelBindingHash(serverCertDer: Buffer, signatureHash: 'sha256' | 'sha384' | 'sha512' = 'sha256'): Buffer {
  const appData = Buffer.concat([Buffer.from('tls-server-end-point:', 'latin1'), createHash(signatureHash).update(serverCertDer).digest()]);
  const head = Buffer.alloc(20); // initiator and acceptor address types and lengths (0), then the application data length
  head.writeUInt32LE(appData.length, 16);
  return createHash('md5')
    .update(Buffer.concat([head, appData]))
    .digest();
}

export interface Ntlmv2Response {
  readonly lm: Buffer;
  readonly nt: Buffer;
}

/** LMv2 and NTLMv2 responses (MS-NLMP 3.3.2) for explicit inputs: the test vectors of MS-NLMP 4.2.4 use these. */
export function ntlmv2Response(
  password: string,
  user: string,
  domain: string,
  serverChallenge: Buffer,
  clientChallenge: Buffer,
  timestamp: Buffer,
  targetInfo: Buffer,
  withLm = true,
): Ntlmv2Response {
  const key = ntowfv2(password, user, domain);
  const temp = Buffer.concat([
    Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]),
    timestamp,
    clientChallenge,
    Buffer.alloc(4),
    targetInfo,
    Buffer.alloc(4),
  ]);
  const proof = hmacMd5(key, serverChallenge, temp);
  const lm = withLm ? Buffer.concat([hmacMd5(key, serverChallenge, clientChallenge), clientChallenge]) : Buffer.alloc(24);
  return { lm, nt: Buffer.concat([proof, temp]) };
}

/** Windows FILETIME now: 100 ns ticks since 1601. */
function filetime(nowMs: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE((BigInt(nowMs) + 11_644_473_600_000n) * 10_000n);
  return b;
}

/** The AUTHENTICATE message answering `challenge`, base64. */
export function authenticateMessage(
  challenge: Challenge,
  creds: NtlmCredentials,
  o: { readonly channelBinding?: Buffer; readonly now?: number; readonly clientChallenge?: Buffer } = {},
): string {
  const { domain, user } = splitUser(creds.username);
  const pairs = readAvPairs(challenge.targetInfo) ?? [];
  const serverTime = pairs.find((p) => p.id === AV.TIMESTAMP)?.value;
  const ours = pairs.filter((p) => p.id !== AV.CHANNEL_BINDINGS);
  if (o.channelBinding) ours.push({ id: AV.CHANNEL_BINDINGS, value: o.channelBinding });
  const targetInfo = writeAvPairs(ours);
  const clientChallenge = o.clientChallenge ?? randomBytes(8);
  // With the server's timestamp, the LMv2 response is sent as zeros (MS-NLMP 3.1.5.1.2).
  const { lm, nt } = ntlmv2Response(
    creds.password,
    user,
    domain,
    challenge.serverChallenge,
    clientChallenge,
    serverTime ?? filetime(o.now ?? Date.now()),
    targetInfo,
    !serverTime,
  );
  const enc = (s: string) => Buffer.from(s, 'utf16le');
  const fields = [lm, nt, enc(domain), enc(user), enc((creds.workstation ?? '').toUpperCase()), Buffer.alloc(0)];
  const head = Buffer.alloc(64);
  SIGNATURE.copy(head, 0);
  head.writeUInt32LE(3, 8);
  let offset = 64;
  fields.forEach((f, i) => {
    const at = 12 + i * 8;
    head.writeUInt16LE(f.length, at);
    head.writeUInt16LE(f.length, at + 2);
    head.writeUInt32LE(offset, at + 4);
    offset += f.length;
  });
  head.writeUInt32LE(((challenge.flags & NEGOTIATE_FLAGS) | FLAGS.UNICODE | FLAGS.NTLM) >>> 0, 60);
  return Buffer.concat([head, ...fields]).toString('base64');
}

/** The fields of an AUTHENTICATE message (for the loopback stand-in and tests). */
export function parseAuthenticate(
  base64: string,
): { lm: Buffer; nt: Buffer; domain: string; user: string; workstation: string } | undefined {
  const b = Buffer.from(base64, 'base64');
  if (b.length < 64 || !b.subarray(0, 8).equals(SIGNATURE) || b.readUInt32LE(8) !== 3) return undefined;
  const field = (i: number): Buffer | undefined => {
    const at = 12 + i * 8;
    const len = b.readUInt16LE(at);
    const off = b.readUInt32LE(at + 4);
    return off + len <= b.length ? b.subarray(off, off + len) : undefined;
  };
  const [lm, nt, domain, user, ws] = [0, 1, 2, 3, 4].map(field);
  if (!lm || !nt || !domain || !user || !ws) return undefined;
  return { lm, nt, domain: domain.toString('utf16le'), user: user.toString('utf16le'), workstation: ws.toString('utf16le') };
}
