// Finding the EWS URL from the notification mailbox's address (Autodiscover,
// POX): the domain's autodiscover endpoints and its _autodiscover._tcp SRV
// record, following redirectAddr and redirectUrl answers (https only, a
// bounded number of hops). A refused credential stops the search at once:
// trying it on every candidate would count against the account's lockout.
import { resolveSrv } from 'node:dns/promises';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { autodiscoverRequest, readAutodiscover } from './xml.js';
import { checkServiceUrl, postAuthenticated, type EwsCredentials, type HttpFailure, type HttpOptions } from './http.js';

export type Candidates = (domain: string) => Promise<readonly string[]> | readonly string[];

/** The documented order: https://domain/…, https://autodiscover.domain/…, then the SRV record's host. */
export const defaultCandidates: Candidates = async (domain) => {
  const out = [`https://${domain}/autodiscover/autodiscover.xml`, `https://autodiscover.${domain}/autodiscover/autodiscover.xml`];
  try {
    const srv = await resolveSrv(`_autodiscover._tcp.${domain}`);
    srv.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
    for (const s of srv) out.push(`https://${s.name}${s.port === 443 ? '' : `:${s.port}`}/autodiscover/autodiscover.xml`);
  } catch {
    /* no SRV record: the two names above are all there is */
  }
  return out;
};

const MAX_HOPS = 10;

export async function autodiscoverEwsUrl(
  email: string,
  creds: EwsCredentials,
  o: HttpOptions & { readonly candidates?: Candidates } = {},
): Promise<Either<HttpFailure, string>> {
  let address = email;
  const tried: string[] = [];
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    const queue = [...(await (o.candidates ?? defaultCandidates)(domain))];
    let redirected = false;
    while (queue.length > 0 && !redirected) {
      const raw = queue.shift()!;
      const u = checkServiceUrl(raw);
      if (u._tag === 'Left') {
        tried.push(`${raw} (${u.left})`);
        continue;
      }
      const r = await postAuthenticated(u.right, autodiscoverRequest(address), creds, o);
      if (r._tag === 'Left') {
        if (r.left.kind === 'auth') return r;
        tried.push(r.left.message);
        continue;
      }
      const answer = r.right.status === 200 ? readAutodiscover(r.right.body) : undefined;
      if (!answer) {
        tried.push(`${raw}: ${r.right.status}${r.right.status === 200 ? ', not an Autodiscover answer' : ''}`);
        continue;
      }
      if (answer.kind === 'ews') {
        const ews = checkServiceUrl(answer.url);
        if (ews._tag === 'Left') {
          tried.push(`${raw}: EwsUrl ${ews.left}`);
          continue;
        }
        return right(ews.right.href);
      }
      if (answer.kind === 'redirectUrl') {
        queue.unshift(answer.url);
        continue;
      }
      if (answer.kind === 'redirectAddr') {
        address = answer.address;
        redirected = true;
        continue;
      }
      tried.push(`${raw}: ${answer.message}`);
    }
    if (!redirected) break;
  }
  return left({
    kind: 'network',
    message: `Autodiscover found no EWS URL for ${email}${tried.length ? ` (tried: ${tried.join('; ')})` : ''}; set notifier.url`,
  });
}
