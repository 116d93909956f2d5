// A loopback stand-in for Exchange Web Services and Autodiscover, strict the
// way IIS and Exchange are: NTLM is per connection (the CHALLENGE belongs to
// the socket that asked, the AUTHENTICATE must come on it, and its NTLMv2
// proof is checked against the account's password; over TLS the channel
// binding must match this server's certificate), Basic is checked too, and
// every CreateItem envelope is validated (well-formed XML, SOAP envelope,
// SendAndSaveCopy, Sent Items of the mailbox, Subject, HTML Body, one
// recipient, From) before it is "sent". Answers are scripted: Exchange's
// ErrorMailRecipientNotFound, ErrorServerBusy (SOAP fault with
// BackOffMilliseconds), or a 401.
import { createServer as createHttp, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { createHmac, randomBytes, X509Certificate } from 'node:crypto';
import type { Socket, AddressInfo } from 'node:net';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AV, channelBindingHash, ntowfv2, parseAuthenticate, readAvPairs, writeAvPairs } from '../../adapters/ews/ntlm.js';
import type { TestCert } from './tls.js';

export interface SentMessage {
  readonly user: string;
  readonly from: string;
  readonly savedIn: string;
  readonly to: string;
  readonly subject: string;
  readonly html: string;
  readonly deviceHeader: string;
}

export type EwsFault =
  | { readonly kind: 'recipientNotFound' }
  | { readonly kind: 'serverBusy'; readonly backOffMs: number }
  | { readonly kind: 'status'; readonly status: number };

export interface EwsServerOptions {
  readonly username: string;
  readonly password: string;
  /** Schemes offered: default both. */
  readonly schemes?: ReadonlyArray<'ntlm' | 'basic'>;
  readonly cert?: TestCert;
  /** Addresses Exchange does not know: ErrorMailRecipientNotFound. */
  readonly unknownRecipients?: readonly string[];
}

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const T = 'http://schemas.microsoft.com/exchange/services/2006/types';
const M = 'http://schemas.microsoft.com/exchange/services/2006/messages';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: false,
  parseTagValue: false,
  trimValues: false,
});

export class EwsServer {
  readonly sent: SentMessage[] = [];
  /** Envelopes refused as invalid, with why. */
  readonly invalid: string[] = [];
  /** NEGOTIATE messages, AUTHENTICATE messages, and how many of those were refused. */
  readonly auth = { negotiate: 0, authenticate: 0, refused: 0, basic: 0, channelBound: 0 };
  readonly autodiscoverRequests: string[] = [];
  readonly faults: EwsFault[] = [];
  requests = 0;
  password: string;
  private server?: Server;
  private readonly challenges = new WeakMap<Socket, Buffer>();
  private readonly certDer?: Buffer;

  constructor(private readonly o: EwsServerOptions) {
    this.password = o.password;
    if (o.cert) this.certDer = new X509Certificate(o.cert.cert).raw;
  }

  get origin(): string {
    return `${this.o.cert ? 'https' : 'http'}://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }
  get url(): string {
    return `${this.origin}/EWS/Exchange.asmx`;
  }
  get autodiscoverUrl(): string {
    return `${this.origin}/autodiscover/autodiscover.xml`;
  }

  async start(): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch(() => {
        res.destroy();
      });
    };
    this.server = this.o.cert ? createHttps({ key: this.o.cert.key, cert: this.o.cert.cert }, handler) : createHttp(handler);
    await new Promise<void>((res) => this.server!.listen(0, '127.0.0.1', res));
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((res) => this.server?.close(() => res()) ?? res());
  }

  private schemes(): string[] {
    const s = this.o.schemes ?? ['ntlm', 'basic'];
    return [...(s.includes('ntlm') ? ['Negotiate', 'NTLM'] : []), ...(s.includes('basic') ? ['Basic realm="mail.contoso.com"'] : [])];
  }

  private unauthorized(res: ServerResponse, extra?: string): void {
    res.writeHead(401, { 'WWW-Authenticate': extra ? [extra] : this.schemes(), 'Content-Length': '0' });
    res.end();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const user = this.authenticate(req, res);
    if (user === undefined) return;
    const path = new URL(req.url ?? '/', this.origin).pathname.toLowerCase();
    if (path === '/autodiscover/autodiscover.xml') return this.autodiscover(body, res);
    if (path !== '/ews/exchange.asmx' || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const fault = this.faults.shift();
    if (fault?.kind === 'status') {
      if (fault.status === 401) {
        this.auth.refused++;
        this.unauthorized(res);
      } else res.writeHead(fault.status).end();
      return;
    }
    const msg = this.validate(body, user);
    if (typeof msg === 'string') {
      this.invalid.push(msg);
      res.writeHead(400, { 'content-type': 'text/plain' }).end(msg);
      return;
    }
    if (fault?.kind === 'serverBusy') return this.soap(res, 500, busyFault(fault.backOffMs));
    if (fault?.kind === 'recipientNotFound' || this.o.unknownRecipients?.includes(msg.to))
      return this.soap(res, 200, responseMessage('Error', 'ErrorMailRecipientNotFound', 'The recipient could not be found.'));
    this.sent.push(msg);
    this.soap(res, 200, responseMessage('Success', 'NoError'));
  }

  /** The authenticated user, or undefined when the response (401) has been sent. */
  private authenticate(req: IncomingMessage, res: ServerResponse): string | undefined {
    const h = req.headers.authorization ?? '';
    const schemes = this.o.schemes ?? ['ntlm', 'basic'];
    const basic = /^Basic\s+(\S+)$/i.exec(h);
    if (basic && schemes.includes('basic')) {
      this.auth.basic++;
      const [u, ...p] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      if (u === this.o.username && p.join(':') === this.password) return u;
      this.auth.refused++;
      this.unauthorized(res);
      return undefined;
    }
    const ntlm = /^NTLM\s+(\S+)$/i.exec(h);
    if (ntlm && schemes.includes('ntlm')) {
      const raw = Buffer.from(ntlm[1]!, 'base64');
      const type = raw.length >= 12 && raw.subarray(0, 8).toString('latin1') === 'NTLMSSP\0' ? raw.readUInt32LE(8) : 0;
      if (type === 1) {
        this.auth.negotiate++;
        const challenge = randomBytes(8);
        this.challenges.set(req.socket, challenge);
        this.unauthorized(res, `NTLM ${challengeMessage(challenge)}`);
        return undefined;
      }
      if (type === 3) {
        this.auth.authenticate++;
        const challenge = this.challenges.get(req.socket);
        this.challenges.delete(req.socket);
        const m = parseAuthenticate(ntlm[1]!);
        if (challenge && m && this.proofOk(m, challenge)) return m.domain ? `${m.domain}\\${m.user}` : m.user;
        this.auth.refused++;
        this.unauthorized(res);
        return undefined;
      }
    }
    this.unauthorized(res);
    return undefined;
  }

  private proofOk(m: { nt: Buffer; user: string; domain: string }, serverChallenge: Buffer): boolean {
    const expectedUser = this.o.username.includes('\\') ? this.o.username.split('\\') : ['', this.o.username];
    if (m.user.toLowerCase() !== expectedUser[1]!.toLowerCase() || m.domain.toLowerCase() !== expectedUser[0]!.toLowerCase()) return false;
    if (m.nt.length < 48) return false; // an NTLMv1 response: refused, as LmCompatibilityLevel 5 does
    const proof = m.nt.subarray(0, 16);
    const temp = m.nt.subarray(16);
    const key = ntowfv2(this.password, m.user, m.domain);
    const expected = createHmac('md5', key).update(serverChallenge).update(temp).digest();
    if (!expected.equals(proof)) return false;
    if (this.certDer) {
      // Extended Protection: the channel binding must be this server's certificate.
      const pairs = readAvPairs(temp.subarray(28)) ?? [];
      const cb = pairs.find((p) => p.id === AV.CHANNEL_BINDINGS)?.value;
      if (!cb || !cb.equals(channelBindingHash(this.certDer))) return false;
      this.auth.channelBound++;
    }
    return true;
  }

  private autodiscover(body: string, res: ServerResponse): void {
    const email = /<EMailAddress>([^<]*)<\/EMailAddress>/.exec(body)?.[1] ?? '';
    this.autodiscoverRequests.push(email);
    const xml =
      '<?xml version="1.0" encoding="utf-8"?>' +
      '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">' +
      '<Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">' +
      `<User><DisplayName>Notifications</DisplayName><AutoDiscoverSMTPAddress>${email}</AutoDiscoverSMTPAddress></User>` +
      '<Account><AccountType>email</AccountType><Action>settings</Action>' +
      `<Protocol><Type>EXPR</Type><EwsUrl>https://mail.contoso.example/EWS/Exchange.asmx</EwsUrl></Protocol>` +
      `<Protocol><Type>EXCH</Type><Server>ex01.contoso.local</Server><EwsUrl>${this.url}</EwsUrl></Protocol>` +
      '</Account></Response></Autodiscover>';
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(xml);
  }

  private soap(res: ServerResponse, status: number, inner: string): void {
    const xml = `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${SOAP}"><s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="2" xmlns:h="${T}"/></s:Header><s:Body>${inner}</s:Body></s:Envelope>`;
    res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' }).end(xml);
  }

  /** The message an envelope sends, or why it is not a valid CreateItem. */
  private validate(body: string, user: string): SentMessage | string {
    const ok = XMLValidator.validate(body);
    if (ok !== true) return `not well-formed XML: ${ok.err.msg} (line ${ok.err.line})`;
    const doc = parser.parse(body) as Record<string, any>;
    const env = doc['soap:Envelope'];
    if (!env || env['@_xmlns:soap'] !== SOAP || env['@_xmlns:t'] !== T || env['@_xmlns:m'] !== M)
      return 'not a SOAP envelope with the EWS namespaces';
    if (!env['soap:Header']?.['t:RequestServerVersion']?.['@_Version']) return 'no RequestServerVersion';
    const create = env['soap:Body']?.['m:CreateItem'];
    if (!create) return 'no CreateItem';
    if (create['@_MessageDisposition'] !== 'SendAndSaveCopy') return `MessageDisposition is ${create['@_MessageDisposition']}`;
    const folder = create['m:SavedItemFolderId']?.['t:DistinguishedFolderId'];
    if (folder?.['@_Id'] !== 'sentitems') return 'the copy is not saved in Sent Items';
    const items = create['m:Items'];
    const message = items?.['t:Message'];
    if (!message || Array.isArray(message) || Object.keys(items).length !== 1) return 'not exactly one Message';
    const order = Object.keys(message).filter((k) => !k.startsWith('@_'));
    const expectedOrder = ['t:Subject', 't:Body', 't:ExtendedProperty', 't:ToRecipients', 't:From'];
    if (order.join() !== expectedOrder.join()) return `Message elements ${order.join()} (schema order is ${expectedOrder.join()})`;
    const text = (n: unknown): string =>
      typeof n === 'string' ? n : typeof n === 'object' && n !== null ? String((n as Record<string, unknown>)['#text'] ?? '') : '';
    if (message['t:Body']?.['@_BodyType'] !== 'HTML') return 'the body is not HTML';
    const to = message['t:ToRecipients']?.['t:Mailbox'];
    if (!to || Array.isArray(to)) return 'not exactly one recipient';
    const prop = message['t:ExtendedProperty'];
    const uri = prop?.['t:ExtendedFieldURI'];
    if (uri?.['@_DistinguishedPropertySetId'] !== 'InternetHeaders' || uri?.['@_PropertyName'] !== 'X-EAS-Access-Sync-Device')
      return 'no device header';
    return {
      user,
      from: text(message['t:From']?.['t:Mailbox']?.['t:EmailAddress']),
      savedIn: text(folder['t:Mailbox']?.['t:EmailAddress']),
      to: text(to['t:EmailAddress']),
      subject: text(message['t:Subject']),
      html: text(message['t:Body']),
      deviceHeader: text(prop['t:Value']),
    };
  }
}

function challengeMessage(challenge: Buffer): string {
  const name = Buffer.from('CONTOSO', 'utf16le');
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64LE((BigInt(Date.now()) + 11_644_473_600_000n) * 10_000n);
  const info = writeAvPairs([
    { id: AV.NB_DOMAIN, value: name },
    { id: AV.NB_COMPUTER, value: Buffer.from('EX01', 'utf16le') },
    { id: AV.DNS_DOMAIN, value: Buffer.from('contoso.local', 'utf16le') },
    { id: AV.TIMESTAMP, value: ts },
  ]);
  const head = Buffer.alloc(48);
  head.write('NTLMSSP\0', 0, 'latin1');
  head.writeUInt32LE(2, 8);
  head.writeUInt16LE(name.length, 12);
  head.writeUInt16LE(name.length, 14);
  head.writeUInt32LE(48, 16);
  head.writeUInt32LE(0xe28a8215, 20);
  challenge.copy(head, 24);
  head.writeUInt16LE(info.length, 40);
  head.writeUInt16LE(info.length, 42);
  head.writeUInt32LE(48 + name.length, 44);
  return Buffer.concat([head, name, info]).toString('base64');
}

const responseMessage = (cls: string, code: string, text?: string) =>
  `<m:CreateItemResponse xmlns:m="${M}" xmlns:t="${T}"><m:ResponseMessages><m:CreateItemResponseMessage ResponseClass="${cls}">` +
  `${text ? `<m:MessageText>${text}</m:MessageText>` : ''}<m:ResponseCode>${code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Items/>` +
  '</m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>';

const busyFault = (ms: number) =>
  '<s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>' +
  '<faultstring xml:lang="en-US">The server cannot service this request right now. Try again later.</faultstring>' +
  `<detail><e:ResponseCode xmlns:e="${M}">ErrorServerBusy</e:ResponseCode><e:Message xmlns:e="${M}">The server cannot service this request right now. Try again later.</e:Message>` +
  `<t:MessageXml xmlns:t="${T}"><t:Value Name="BackOffMilliseconds">${ms}</t:Value></t:MessageXml></detail></s:Fault>`;
