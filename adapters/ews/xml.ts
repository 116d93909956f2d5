// The SOAP the EWS notifier speaks: the CreateItem envelope (every value is
// XML-escaped text or attribute data, characters XML 1.0 cannot carry are
// replaced, nothing is spliced raw) and the readings of Exchange's answers
// (response messages, SOAP faults, Autodiscover) with fast-xml-parser.
import { XMLParser } from 'fast-xml-parser';

/** Characters XML 1.0 cannot carry, even escaped (controls, lone surrogates, U+FFFE/FFFF). */
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text content or an attribute value: & < > " ' escaped, characters XML cannot carry replaced by U+FFFD. */
export function xmlText(s: string): string {
  return s
    .replace(NOT_XML, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  t: 'http://schemas.microsoft.com/exchange/services/2006/types',
  m: 'http://schemas.microsoft.com/exchange/services/2006/messages',
} as const;

export interface MailItem {
  /** The notification mailbox: the sender, and where the sent copy is saved. */
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly html: string;
  /** Carried as the X-EAS-Access-Sync-Device internet header, as the SMTP notifier does. */
  readonly deviceId: string;
}

/** CreateItem with MessageDisposition=SendAndSaveCopy: the message is sent and a copy kept in the mailbox's Sent Items. */
export function createItemEnvelope(m: MailItem, serverVersion = 'Exchange2010_SP2'): string {
  const x = xmlText;
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${NS.soap}" xmlns:t="${NS.t}" xmlns:m="${NS.m}">` +
    `<soap:Header><t:RequestServerVersion Version="${x(serverVersion)}"/></soap:Header>` +
    '<soap:Body>' +
    '<m:CreateItem MessageDisposition="SendAndSaveCopy">' +
    `<m:SavedItemFolderId><t:DistinguishedFolderId Id="sentitems"><t:Mailbox><t:EmailAddress>${x(m.from)}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:SavedItemFolderId>` +
    '<m:Items><t:Message>' +
    `<t:Subject>${x(m.subject)}</t:Subject>` +
    `<t:Body BodyType="HTML">${x(m.html)}</t:Body>` +
    '<t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="InternetHeaders" PropertyName="X-EAS-Access-Sync-Device" PropertyType="String"/>' +
    `<t:Value>${x(m.deviceId)}</t:Value></t:ExtendedProperty>` +
    `<t:ToRecipients><t:Mailbox><t:EmailAddress>${x(m.to)}</t:EmailAddress></t:Mailbox></t:ToRecipients>` +
    `<t:From><t:Mailbox><t:EmailAddress>${x(m.from)}</t:EmailAddress></t:Mailbox></t:From>` +
    '</t:Message></m:Items>' +
    '</m:CreateItem>' +
    '</soap:Body></soap:Envelope>'
  );
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (name) => name === 'Value' || name === 'Protocol' || name === 'CreateItemResponseMessage',
});

type Node = Record<string, unknown>;
const obj = (u: unknown): Node | undefined => (typeof u === 'object' && u !== null && !Array.isArray(u) ? (u as Node) : undefined);
const str = (u: unknown): string | undefined =>
  typeof u === 'string' ? u : typeof u === 'number' ? String(u) : obj(u)?.['#text'] !== undefined ? String(obj(u)!['#text']) : undefined;

export function parseXml(text: string): Node | undefined {
  try {
    return obj(parser.parse(text, true));
  } catch {
    return undefined;
  }
}

/** What Exchange said about one CreateItem. */
export type EwsOutcome =
  { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string; readonly backOffMs?: number };

function backOff(messageXml: unknown): number | undefined {
  const values = obj(messageXml)?.['Value'];
  for (const v of Array.isArray(values) ? values : []) {
    const n = obj(v);
    if (n?.['@_Name'] === 'BackOffMilliseconds') {
      const ms = Number(str(n));
      if (Number.isFinite(ms) && ms >= 0) return ms;
    }
  }
  return undefined;
}

/** A CreateItem response body (200) or a SOAP fault (500); undefined when it is neither. */
export function readCreateItemResponse(text: string): EwsOutcome | undefined {
  const doc = parseXml(text);
  const body = obj(obj(doc?.['Envelope'])?.['Body']);
  if (!body) return undefined;
  const fault = obj(body['Fault']);
  if (fault) {
    const detail = obj(fault['detail']) ?? obj(fault['Detail']);
    const code = str(detail?.['ResponseCode']) ?? str(fault['faultcode'])?.replace(/^.*:/, '') ?? 'SoapFault';
    const message = str(detail?.['Message']) ?? str(fault['faultstring']) ?? 'SOAP fault';
    const ms = backOff(detail?.['MessageXml']);
    return { ok: false, code, message, ...(ms !== undefined ? { backOffMs: ms } : {}) };
  }
  const msgs = obj(obj(body['CreateItemResponse'])?.['ResponseMessages'])?.['CreateItemResponseMessage'];
  const first = Array.isArray(msgs) ? obj(msgs[0]) : undefined;
  if (!first) return undefined;
  const cls = first['@_ResponseClass'];
  const code = str(first['ResponseCode']) ?? '';
  if (cls === 'Success' && (code === '' || code === 'NoError')) return { ok: true };
  const ms = backOff(first['MessageXml']);
  return {
    ok: false,
    code: code || String(cls),
    message: str(first['MessageText']) ?? code,
    ...(ms !== undefined ? { backOffMs: ms } : {}),
  };
}

export function autodiscoverRequest(email: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request>' +
    `<EMailAddress>${xmlText(email)}</EMailAddress>` +
    '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>' +
    '</Request></Autodiscover>'
  );
}

export type AutodiscoverAnswer =
  | { readonly kind: 'ews'; readonly url: string }
  | { readonly kind: 'redirectAddr'; readonly address: string }
  | { readonly kind: 'redirectUrl'; readonly url: string }
  | { readonly kind: 'error'; readonly message: string };

/** The EWS URL of an Autodiscover (POX) answer: the internal (EXCH) one first, then the external (EXPR). */
export function readAutodiscover(text: string): AutodiscoverAnswer | undefined {
  const doc = parseXml(text);
  const response = obj(obj(doc?.['Autodiscover'])?.['Response']);
  if (!response) return undefined;
  const err = obj(response['Error']);
  if (err) return { kind: 'error', message: `${str(err['ErrorCode']) ?? ''} ${str(err['Message']) ?? ''}`.trim() };
  const account = obj(response['Account']);
  if (!account) return undefined;
  const action = str(account['Action']);
  if (action === 'redirectAddr' && str(account['RedirectAddr'])) return { kind: 'redirectAddr', address: str(account['RedirectAddr'])! };
  if (action === 'redirectUrl' && str(account['RedirectUrl'])) return { kind: 'redirectUrl', url: str(account['RedirectUrl'])! };
  const protocols = ((account['Protocol'] as unknown[] | undefined) ?? []).map(obj).filter((p): p is Node => !!p);
  for (const type of ['EXCH', 'EXPR']) {
    const url = str(protocols.find((p) => str(p['Type']) === type)?.['EwsUrl']);
    if (url) return { kind: 'ews', url };
  }
  return { kind: 'error', message: 'the answer names no EwsUrl' };
}
