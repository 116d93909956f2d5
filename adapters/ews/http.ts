// One authenticated POST to an Exchange web service (EWS or Autodiscover).
// NTLM is connection-oriented: the NEGOTIATE, the server's CHALLENGE and the
// AUTHENTICATE-with-body travel over one kept-alive connection of their own
// (an agent with a single socket, destroyed after the exchange); if the
// server drops it mid-handshake, that is an error, never a silent retry. Over
// TLS the AUTHENTICATE carries the channel binding of the server's
// certificate (Extended Protection). Basic sends the credentials once, and
// only over TLS (or to a loopback test server). Redirects are not followed.
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { authenticateMessage, channelBindingHash, negotiateMessage, parseChallenge } from './ntlm.js';

export interface EwsCredentials {
  readonly authentication: 'ntlm' | 'basic';
  /** `DOMAIN\user` or `user@domain` */
  readonly username: string;
  readonly password: string;
}

export interface HttpOptions {
  readonly timeoutMs?: number;
  /** PEM of an internal CA (tests; in production NODE_EXTRA_CA_CERTS). */
  readonly ca?: string | Buffer;
  readonly rejectUnauthorized?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export type HttpFailure =
  /** The server refused the credentials (or offers no scheme we speak). */
  { readonly kind: 'auth'; readonly message: string } | { readonly kind: 'network'; readonly message: string };

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https, or http only on loopback (tests). */
export function checkServiceUrl(raw: string): Either<string, URL> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return left(`not a URL: ${JSON.stringify(raw)}`);
  }
  if (u.username || u.password) return left('the URL must not carry credentials');
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname)))
    return left(`must be https (plain http only on loopback), got ${u.protocol}//${u.host}`);
  return right(u);
}

function schemes(h: http.IncomingHttpHeaders): string[] {
  const v = h['www-authenticate'];
  const all = Array.isArray(v) ? v : v ? [v] : [];
  return all
    .flatMap((x) => x.split(/,\s*(?=[A-Za-z]+(?:\s|$))/))
    .map((x) => x.trim())
    .filter(Boolean);
}

function once(
  agent: http.Agent,
  url: URL,
  body: string,
  headers: Record<string, string>,
  o: HttpOptions,
): Promise<{ res: HttpResult; socket: Socket }> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let socket: Socket | undefined;
    const req = mod.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'text/xml; charset=utf-8',
          'Content-Length': String(Buffer.byteLength(body)),
          Connection: 'keep-alive',
          ...o.headers,
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            res: { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') },
            socket: socket!,
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(o.timeoutMs ?? 60_000, () => req.destroy(new Error(`no answer within ${o.timeoutMs ?? 60_000} ms`)));
    req.on('socket', (s) => {
      socket = s;
    });
    req.on('error', reject);
    req.end(body);
  });
}

const describe = (e: unknown) => {
  const x = e as { code?: unknown; message?: unknown };
  return `${typeof x.code === 'string' ? `${x.code}: ` : ''}${typeof x.message === 'string' ? x.message : String(e)}`;
};

export async function postAuthenticated(
  url: URL,
  body: string,
  creds: EwsCredentials,
  o: HttpOptions = {},
): Promise<Either<HttpFailure, HttpResult>> {
  const tls =
    url.protocol === 'https:'
      ? { ...(o.ca !== undefined ? { ca: o.ca } : {}), rejectUnauthorized: o.rejectUnauthorized ?? true, minVersion: 'TLSv1.2' as const }
      : {};
  const agent =
    url.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, maxSockets: 1, ...tls })
      : new http.Agent({ keepAlive: true, maxSockets: 1 });
  const where = `${url.origin}${url.pathname}`;
  try {
    if (creds.authentication === 'basic') {
      if (url.protocol !== 'https:' && !LOOPBACK.has(url.hostname))
        return left({ kind: 'auth', message: `${where}: Basic authentication only over https` });
      const token = Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
      const { res } = await once(agent, url, body, { Authorization: `Basic ${token}` }, o);
      if (res.status === 401)
        return left({ kind: 'auth', message: `${where} refused the credentials of ${creds.username} (401, Basic${offers(res)})` });
      return right(res);
    }
    const first = await once(agent, url, '', { Authorization: `NTLM ${negotiateMessage()}` }, o);
    if (first.res.status !== 401) {
      return left({ kind: 'network', message: `${where}: expected an NTLM challenge (401), got ${first.res.status}` });
    }
    const challengeValue = schemes(first.res.headers).find((s) => /^NTLM\s+\S+/i.test(s));
    if (!challengeValue) return left({ kind: 'auth', message: `${where} sent no NTLM challenge${offers(first.res)}` });
    const challenge = parseChallenge(challengeValue.replace(/^NTLM\s+/i, ''));
    if (!challenge) return left({ kind: 'auth', message: `${where} sent a malformed NTLM challenge` });
    let channelBinding: Buffer | undefined;
    if (url.protocol === 'https:') {
      const cert = (first.socket as TLSSocket).getPeerCertificate?.();
      if (cert?.raw) channelBinding = channelBindingHash(cert.raw);
    }
    const type3 = authenticateMessage(
      challenge,
      { username: creds.username, password: creds.password },
      channelBinding ? { channelBinding } : {},
    );
    const second = await once(agent, url, body, { Authorization: `NTLM ${type3}` }, o);
    if (second.socket !== first.socket)
      return left({ kind: 'network', message: `${where} closed the connection during the NTLM handshake` });
    if (second.res.status === 401)
      return left({ kind: 'auth', message: `${where} refused the credentials of ${creds.username} (401, NTLM)` });
    return right(second.res);
  } catch (e) {
    return left({ kind: 'network', message: `${where}: ${describe(e)}` });
  } finally {
    agent.destroy();
  }
}

function offers(res: HttpResult): string {
  const s = schemes(res.headers)
    .map((x) => x.split(/\s/)[0]!)
    .filter((x, i, a) => a.indexOf(x) === i);
  return s.length ? `; it offers ${s.join(', ')}` : '';
}
