// Which mailbox a partnership belongs to, and which addresses identify a user.
// Device DNs are `CN=<type>§<id>,CN=ExchangeActiveSyncDevices,<mailbox DN>`;
// identities are `<mailbox identity>/ExchangeActiveSyncDevices/<name>` (or `\`).
import { isLowerCaseOf } from './case.js';
import type { CasMailbox, MobileDevice } from './facts.js';

/** Splits a DN into its components, honouring backslash escapes (`\,`). */
export function dnComponents(dn: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < dn.length; i++) {
    const ch = dn[i]!;
    if (ch === '\\' && i + 1 < dn.length) {
      cur += ch + dn[i + 1];
      i++;
      continue;
    }
    if (ch === ',') {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts;
}

const CONTAINER = ',cn=exchangeactivesyncdevices,';

/** Whether the partnerships' container found at `i` is the DN's second component: no escape before it, no comma either. */
const containerSecond = (deviceDn: string, i: number): boolean => i > 0 && deviceDn.lastIndexOf('\\', i) < 0 && deviceDn.indexOf(',') === i;

/**
 * Where the mailbox DN starts in `deviceDn` (`lower` is its lower-cased text) in the usual
 * case: no escape before the container, and lower-casing kept every position (it can
 * lengthen a few characters). Then the mailbox DN is the text after the container (what
 * the component walk gives; test/identity.test.ts checks they agree). -1 otherwise.
 */
function mailboxDnStart(deviceDn: string, lower: string): number {
  const i = lower.indexOf(CONTAINER);
  return lower.length === deviceDn.length && containerSecond(deviceDn, i) ? i + CONTAINER.length : -1;
}

/** The mailbox DN of a device DN, or undefined when it is not a partnership DN. */
export function mailboxDnOfDevice(deviceDn: string): string | undefined {
  const at = mailboxDnStart(deviceDn, deviceDn.toLowerCase());
  return at >= 0 ? deviceDn.slice(at) : mailboxDnOfDeviceByComponents(deviceDn);
}

const CONTAINER_AS_WRITTEN = ',CN=ExchangeActiveSyncDevices,';

/**
 * The mailbox DN of `deviceDn` as written, when its container is spelled as Exchange writes it and no
 * escape comes before it (then it is what the component walk gives); undefined otherwise. No lower-casing:
 * a partnership's DN ends with its mailbox's DN spelled alike (one directory object), so a sync places
 * nearly every partnership by it. @internal
 */
export function mailboxDnAsWritten(deviceDn: string): string | undefined {
  const i = deviceDn.indexOf(CONTAINER_AS_WRITTEN);
  return containerSecond(deviceDn, i) ? deviceDn.slice(i + CONTAINER_AS_WRITTEN.length) : undefined;
}

/** `mailboxDnOfDevice(deviceDn)` lower-cased, lower-casing the DN once (each partnership of a sync goes through it). @internal */
export function mailboxDnKeyOfDevice(deviceDn: string): string | undefined {
  const lower = deviceDn.toLowerCase();
  const at = mailboxDnStart(deviceDn, lower);
  if (at >= 0) return lower.slice(at);
  const dn = mailboxDnOfDeviceByComponents(deviceDn);
  return dn === undefined ? undefined : norm(dn);
}

/** The same, component by component (escapes honoured): the path of record. @internal */
export function mailboxDnOfDeviceByComponents(deviceDn: string): string | undefined {
  const parts = dnComponents(deviceDn);
  if (parts.length < 3 || parts[1]!.trim().toLowerCase() !== 'cn=exchangeactivesyncdevices') return undefined;
  return parts.slice(2).join(',');
}

/** The mailbox Identity of a device Identity, or undefined. */
export function mailboxIdentityOfDevice(identity: string): string | undefined {
  const m = /[/\\]ExchangeActiveSyncDevices[/\\]/i.exec(identity);
  return m ? identity.slice(0, m.index) : undefined;
}

const norm = (s: string) => s.toLowerCase();
// Identities written with `\` and `/` are the same: most have neither, and a test is cheaper than a replace.
const slashed = (id: string) => (id.includes('\\') ? id.replace(/\\/g, '/') : id);

/**
 * An index of mailboxes by DN and Identity, so each partnership finds its
 * mailbox in O(1). Identities written with `\` and `/` are treated alike.
 * It holds positions in the list it was built from: a caller keeping its own
 * record per mailbox finds it by position, without a map of its own.
 */
export class MailboxIndex {
  // By DN as written, then (built on the first partnership that spelling does not place: rare) by DN lower-cased.
  private readonly byDnAsWritten = new Map<string, number>();
  private byDn: Map<string, number> | undefined;
  // Built on the first partnership its DN does not place (rare): most syncs never need it.
  private byIdentity: Map<string, number> | undefined;
  constructor(private readonly mailboxes: readonly CasMailbox[]) {
    for (let i = 0; i < mailboxes.length; i++) {
      const dn = mailboxes[i]!.distinguishedName;
      if (dn) this.byDnAsWritten.set(dn, i);
    }
  }
  mailboxOf(device: MobileDevice): CasMailbox | undefined {
    const i = this.positionOf(device);
    return i < 0 ? undefined : this.mailboxes[i];
  }
  /** The position of the device's mailbox in the list the index was built from, or -1. */
  positionOf(device: MobileDevice): number {
    const dn = device.distinguishedName;
    if (dn) {
      const written = mailboxDnAsWritten(dn);
      const exact = written === undefined ? undefined : this.byDnAsWritten.get(written);
      if (exact !== undefined) return exact;
      const hit = this.lowerDns().get(mailboxDnKeyOfDevice(dn) ?? '');
      if (hit !== undefined) return hit;
    }
    const id = mailboxIdentityOfDevice(device.identity);
    return (id !== undefined ? this.identities().get(norm(slashed(id))) : undefined) ?? -1;
  }
  get size(): number {
    return this.identities().size;
  }
  private lowerDns(): Map<string, number> {
    if (this.byDn === undefined) {
      this.byDn = new Map();
      for (let i = 0; i < this.mailboxes.length; i++) {
        const dn = this.mailboxes[i]!.distinguishedName;
        if (dn) this.byDn.set(norm(dn), i);
      }
    }
    return this.byDn;
  }
  private identities(): Map<string, number> {
    if (this.byIdentity === undefined) {
      this.byIdentity = new Map();
      for (let i = 0; i < this.mailboxes.length; i++) this.byIdentity.set(norm(slashed(this.mailboxes[i]!.identity)), i);
    }
    return this.byIdentity;
  }
}

/** Every address that identifies the mailbox's user, lower-cased: UPN, primary SMTP, smtp: proxies. */
export function userAddresses(m: Pick<CasMailbox, 'primarySmtpAddress' | 'emailAddresses' | 'userPrincipalName'>): string[] {
  // An array searched as it grows, not a Set: a user has a handful of addresses, and every sync asks for every mailbox's.
  const out: string[] = [];
  if (m.userPrincipalName) out.push(norm(m.userPrincipalName));
  if (m.primarySmtpAddress) addNew(out, norm(m.primarySmtpAddress));
  for (const a of m.emailAddresses) if (isSmtpProxy(a)) addNew(out, norm(a.slice(5)));
  return out;
}

/**
 * `userAddresses(m)`, or `before` itself when that is what it would be (the usual case: the mailbox's
 * addresses as the last sync recorded them): no lower-cased copy of an address that has not changed.
 */
export function userAddressesAsBefore(
  m: Pick<CasMailbox, 'primarySmtpAddress' | 'emailAddresses' | 'userPrincipalName'>,
  before: readonly string[] | undefined,
): readonly string[] {
  return before !== undefined && addressesAre(m, before) ? before : userAddresses(m);
}

/** Whether `userAddresses(m)` would equal `list`, item for item: its steps taken against the list, without copies. */
function addressesAre(
  m: Pick<CasMailbox, 'primarySmtpAddress' | 'emailAddresses' | 'userPrincipalName'>,
  list: readonly string[],
): boolean {
  // `taken`: items of the list matched so far (what userAddresses would have output by then), or -1 once one is not.
  let taken = m.userPrincipalName ? takeAddress(list, 0, m.userPrincipalName, 0, true) : 0;
  if (m.primarySmtpAddress && taken >= 0) taken = takeAddress(list, taken, m.primarySmtpAddress, 0, false);
  const proxies = m.emailAddresses;
  for (let i = 0; i < proxies.length && taken >= 0; i++)
    if (isSmtpProxy(proxies[i]!)) taken = takeAddress(list, taken, proxies[i]!, 5, false);
  return taken === list.length;
}

/**
 * One address (from `from` on) taken as userAddresses takes it, `taken` items of `list` matched so far: a
 * repeat of one of those is skipped (addNew; the first, `always`, is never a repeat), any other must be the
 * next item. The items matched then, or -1.
 */
function takeAddress(list: readonly string[], taken: number, a: string, from: number, always: boolean): number {
  if (!always) for (let j = 0; j < taken; j++) if (isLowerCaseOf(a, list[j]!, from)) return taken;
  return taken < list.length && isLowerCaseOf(a, list[taken]!, from) ? taken + 1 : -1;
}

// /^smtp:/i by character codes (`| 32` folds exactly the ASCII capital onto its small letter): no regular
// expression run for every proxy address of every mailbox of every sync.
const isSmtpProxy = (a: string): boolean =>
  a.charCodeAt(4) === 58 &&
  (a.charCodeAt(0) | 32) === 115 &&
  (a.charCodeAt(1) | 32) === 109 &&
  (a.charCodeAt(2) | 32) === 116 &&
  (a.charCodeAt(3) | 32) === 112;

function addNew(list: string[], a: string): void {
  if (!list.includes(a)) list.push(a);
}
