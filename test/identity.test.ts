import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  MailboxIndex,
  dnComponents,
  mailboxDnKeyOfDevice,
  mailboxDnOfDevice,
  mailboxDnOfDeviceByComponents,
  mailboxIdentityOfDevice,
  userAddresses,
  userAddressesAsBefore,
} from '../src/identity.js';
import { device, mailbox } from './support/builders.js';

const test = suite('identity');

test('a device DN minus its first two components is the mailbox DN, escaped commas kept', () => {
  assert.is(
    mailboxDnOfDevice('CN=iPhone§ApplC39,CN=ExchangeActiveSyncDevices,CN=Smith\\, Jr.,OU=Users,DC=contoso,DC=com'),
    'CN=Smith\\, Jr.,OU=Users,DC=contoso,DC=com',
  );
  assert.equal(dnComponents('CN=a\\,b,DC=c'), ['CN=a\\,b', 'DC=c']);
  assert.is(mailboxDnOfDevice('CN=Kim,OU=Users,DC=contoso'), undefined);
});

/** Device DNs built from `chars`: a first component, a container (the partnerships' or another), the rest. */
function deviceDns(chars: readonly string[]) {
  const part = fc.array(fc.constantFrom(...chars), { maxLength: 12 }).map((x) => x.join(''));
  const container = fc.constantFrom(
    'CN=ExchangeActiveSyncDevices',
    'cn=EXCHANGEactivesyncdevices',
    ' CN=ExchangeActiveSyncDevices',
    'CN=Other',
  );
  return fc.tuple(part, container, fc.array(part, { maxLength: 4 })).map(([first, c, rest]) => [`CN=${first}`, c, ...rest].join(','));
}

test('the mailbox DN found by text is the one found component by component, escapes, spaces and case included (property)', () => {
  fc.assert(
    fc.property(deviceDns(['a', 'B', ' ', ',', '\\', '=', 'CN', '§', 'é']), (dn) => {
      assert.is(mailboxDnOfDevice(dn), mailboxDnOfDeviceByComponents(dn), dn);
    }),
    { numRuns: 2000 },
  );
});

test('the lower-cased mailbox DN a partnership is looked up by is its mailbox DN lower-cased, whatever lower-casing does to length or context (property)', () => {
  // 'İ' lengthens when lower-cased, 'Σ' lower-cases by its neighbours, 'ẞ' and 'K' (Kelvin) change script.
  const chars = ['a', 'B', ' ', ',', '\\', '=', 'CN', '§', 'é', 'İ', 'Σ', 'ΑΣ', 'ẞ', '\u212A', '\u0307'];
  fc.assert(
    fc.property(deviceDns(chars), (dn) => {
      assert.is(mailboxDnKeyOfDevice(dn), mailboxDnOfDevice(dn)?.toLowerCase(), dn);
    }),
    { numRuns: 2000 },
  );
});

test('a partnership finds the mailbox whose DN is the tail of its own DN without regard to case, however either is spelled (property)', () => {
  const part = fc
    .array(fc.constantFrom('a', 'A', 'b', 'B', ' ', '\\,', '=', 'é', 'É'), { minLength: 1, maxLength: 6 })
    .map((x) => x.join(''));
  const dn = fc.tuple(part, part).map(([a, b]) => `CN=${a},OU=${b},DC=contoso,DC=com`);
  const flip = (t: string, mask: number) => [...t].map((c, i) => ((mask >> (i % 30)) & 1 ? c.toUpperCase() : c.toLowerCase())).join('');
  const container = fc.constantFrom('CN=ExchangeActiveSyncDevices', 'cn=exchangeactivesyncdevices', 'CN=Other');
  fc.assert(
    fc.property(
      fc.uniqueArray(dn, { selector: (d) => d.toLowerCase(), maxLength: 6 }),
      fc.nat(),
      fc.nat(),
      container,
      (dns, pick, mask, c) => {
        const mailboxes = dns.map((d, i) => mailbox(`M${i}`, { distinguishedName: d }));
        const index = new MailboxIndex(mailboxes);
        // The tail spelled as the mailbox's DN, or with its case changed; or a DN no mailbox has.
        const target = dns.length > 0 ? dns[pick % dns.length]! : 'CN=Nobody,DC=x';
        const tail = mask % 3 === 0 ? target : flip(target, mask);
        const d = {
          ...device(mailboxes[0] ?? mailbox('Nobody'), 'X1'),
          identity: 'nowhere',
          distinguishedName: `CN=iPhone§X1,${c},${tail}`,
        };
        const expected = c === 'CN=Other' ? -1 : dns.findIndex((x) => x.toLowerCase() === tail.toLowerCase());
        assert.is(index.positionOf(d), expected, `${d.distinguishedName} among ${JSON.stringify(dns)}`);
      },
    ),
    { numRuns: 2000 },
  );
});

test('a device identity before /ExchangeActiveSyncDevices/ (or the backslash form) is the mailbox identity', () => {
  assert.is(mailboxIdentityOfDevice('contoso.com/Users/Kim Akers/ExchangeActiveSyncDevices/iPhone§ApplC39'), 'contoso.com/Users/Kim Akers');
  assert.is(mailboxIdentityOfDevice('Kim Akers\\ExchangeActiveSyncDevices\\iPhone§ApplC39'), 'Kim Akers');
});

test('partnerships find their mailbox by DN, else by identity', () => {
  const kim = mailbox('Kim Akers');
  const index = new MailboxIndex([kim, mailbox('Smith, Jr.', { distinguishedName: 'CN=Smith\\, Jr.,OU=Users,DC=contoso,DC=com' })]);
  assert.is(index.mailboxOf(device(kim, 'A1'))?.identity, kim.identity);
  assert.is(index.mailboxOf({ ...device(kim, 'A2'), distinguishedName: undefined })?.identity, kim.identity);
  assert.is(
    index.mailboxOf({
      ...device(kim, 'A3'),
      distinguishedName: undefined,
      identity: 'contoso.com/Users/Nobody/ExchangeActiveSyncDevices/x',
    }),
    undefined,
  );
});

test('user addresses are the UPN, the primary SMTP and smtp: proxies, lower-cased', () => {
  const m = mailbox('Kim Akers', {
    userPrincipalName: 'K.Akers@corp.contoso.com',
    emailAddresses: ['SMTP:kim.akers@contoso.com', 'smtp:KIM@fabrikam.com', 'SIP:kim@contoso.com', 'X500:/o=x'],
  });
  assert.equal(userAddresses(m).sort(), ['k.akers@corp.contoso.com', 'kim.akers@contoso.com', 'kim@fabrikam.com']);
});

test('user addresses come once each, in the order UPN, primary SMTP, proxies: the order a mailbox records them in (property)', () => {
  const address = fc.constantFrom('kim@contoso.com', 'KIM@contoso.com', 'k.akers@corp.contoso.com', 'kim@fabrikam.com', '');
  const proxy = fc
    .tuple(
      fc.constantFrom('SMTP:', 'smtp:', 'SmTp:', 'SIP:', 'X500:', 'smtp', 'smt:', 'smtq:', 'smxp:', 'xmtp:', 'sxtp:', 'ſmtp:', 'SMTP;'),
      address,
    )
    .map(([p, a]) => p + a);
  fc.assert(
    fc.property(address, address, fc.array(proxy, { maxLength: 6 }), (upn, primary, proxies) => {
      const m = mailbox('Kim Akers', { userPrincipalName: upn, primarySmtpAddress: primary, emailAddresses: proxies });
      // The rule written plainly: first occurrences, in order.
      const expected = new Set<string>();
      if (upn) expected.add(upn.toLowerCase());
      if (primary) expected.add(primary.toLowerCase());
      for (const p of proxies) if (/^smtp:/i.test(p)) expected.add(p.slice(5).toLowerCase());
      assert.equal(userAddresses(m), [...expected]);
    }),
  );
});

test("a mailbox's addresses as recorded before are handed back as they are when unchanged, else made anew (property)", () => {
  const address = fc.constantFrom('kim@contoso.com', 'KIM@contoso.com', 'Kím@contoso.com', 'KİM@contoso.com', 'kim@fabrikam.com', '');
  const proxy = fc.tuple(fc.constantFrom('SMTP:', 'smtp:', 'SmTp:', 'SIP:', 'X500:', 'smtp', 'ſmtp:'), address).map(([p, a]) => p + a);
  const fields = fc.record({ upn: address, primary: address, proxies: fc.array(proxy, { maxLength: 5 }) });
  const mailboxOf = (f: { upn: string; primary: string; proxies: string[] }) =>
    mailbox('Kim Akers', { userPrincipalName: f.upn, primarySmtpAddress: f.primary, emailAddresses: f.proxies });
  fc.assert(
    fc.property(
      fields,
      // What was recorded: the same mailbox's addresses (the usual case), another's, or any list of addresses.
      fc.oneof(
        fc.constant(undefined),
        fc.constant('same' as const),
        fields,
        fc.array(fc.constantFrom('kim@contoso.com', 'kím@contoso.com', 'kim@fabrikam.com', 'kım@contoso.com'), { maxLength: 4 }),
      ),
      (f, was) => {
        const m = mailboxOf(f);
        const before =
          was === undefined ? undefined : was === 'same' ? userAddresses(m) : Array.isArray(was) ? was : userAddresses(mailboxOf(was));
        const got = userAddressesAsBefore(m, before);
        const fresh = userAddresses(m);
        assert.equal([...got], fresh);
        const same = before !== undefined && before.length === fresh.length && before.every((a, i) => a === fresh[i]);
        assert.is(got === before, same, `${JSON.stringify(f)} / ${JSON.stringify(before)}`);
      },
    ),
    { numRuns: 3000 },
  );
});

test.run();
