// Identity and DistinguishedName shapes as on-premises Exchange prints them:
// `contoso.com/Users/Kim Akers` and `CN=Kim Akers,CN=Users,DC=contoso,DC=com`.

/** Escapes one DN attribute value: `, + " \ < > ; =` and a leading `#`. */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[,+"\\<>;=]/g, (c) => '\\' + c);
  if (out.startsWith('#')) out = '\\' + out;
  return out;
}

/** `contoso` -> `contoso.com`; a name with a dot is already a domain. */
export const domainOf = (organization: string): string => (organization.includes('.') ? organization : `${organization}.com`).toLowerCase();

const dcCache = new Map<string, string>();
export const dcComponents = (domain: string): string => {
  let dc = dcCache.get(domain);
  if (dc === undefined)
    dcCache.set(
      domain,
      (dc = domain
        .split('.')
        .map((p) => `DC=${escapeDnValue(p)}`)
        .join(',')),
    );
  return dc;
};

// Strings are built with join(): templates leave cons-string trees behind, which
// at 100k partnerships cost tens of MB and a lot of GC time.
export const flat = (...parts: string[]): string => parts.join('');

export const mailboxIdentity = (domain: string, displayName: string): string => flat(domain, '/Users/', displayName);

export const mailboxDn = (domain: string, displayName: string): string =>
  flat('CN=', escapeDnValue(displayName), ',OU=Users,', dcComponents(domain));

export const deviceIdentity = (mailboxIdentityValue: string, deviceType: string, deviceId: string): string =>
  flat(mailboxIdentityValue, '/ExchangeActiveSyncDevices/', deviceType, '§', deviceId);

export const deviceDn = (mailboxDnValue: string, deviceType: string, deviceId: string): string =>
  flat('CN=', escapeDnValue(flat(deviceType, '§', deviceId)), ',CN=ExchangeActiveSyncDevices,', mailboxDnValue);

/** Lower-case ASCII letters and digits only: `José O'Brien` -> `jose`, `obrien`. */
export const addressPart = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/ø/g, 'o')
    .replace(/[^a-z0-9]/g, '');
