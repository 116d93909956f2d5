// The sample contoso organization behind examples/exports/ (make-samples.ts
// writes its files): users and their partnerships, chosen so that the devices
// cover every branch of the decision (their Intune side: sample-intune.ts).
export interface User {
  readonly cn: string; // escaped as in a DN
  readonly name: string; // as in a canonical name
  readonly displayName: string;
  readonly sam: string;
  readonly primary: string;
  readonly proxies: readonly string[];
  readonly upn: string;
  readonly guid: string;
  readonly allowed: readonly string[] | null;
  readonly blocked: readonly string[] | null;
}

const user = (u: User) => u;
export const USERS = {
  kim: user({
    cn: 'Kim Akers',
    name: 'Kim Akers',
    displayName: 'Kim Akers',
    sam: 'kakers',
    primary: 'kim@contoso.com',
    proxies: ['SMTP:kim@contoso.com', 'smtp:k.akers@contoso.com', 'SIP:kim@contoso.com'],
    upn: 'kim@contoso.com',
    guid: '0b6e2f4a-31c8-4d2e-9a57-6c1e8f3b2d90',
    allowed: ['ApplC39GQ9UJDTDM'],
    blocked: [],
  }),
  pilar: user({
    cn: 'Pilar Ackerman',
    name: 'Pilar Ackerman',
    displayName: 'Pilar Ackerman',
    sam: 'packerman',
    primary: 'pilar@contoso.com',
    proxies: ['SMTP:pilar@contoso.com', 'X500:/o=ContosoOrg/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=pilar'],
    upn: 'pilar@contoso.com',
    guid: '7d13a9c5-04be-4f6a-8b21-93e5c7d0a4f6',
    allowed: [],
    blocked: ['SEC12A4F7C9E0B3D'],
  }),
  sean: user({
    cn: "Sean O'Brien",
    name: "Sean O'Brien",
    displayName: "Sean O'Brien",
    sam: 'sobrien',
    primary: 'sean.obrien@contoso.com',
    proxies: ['SMTP:sean.obrien@contoso.com', "smtp:sean.o'brien@contoso.com"],
    upn: 'sean.obrien@contoso.com',
    guid: 'c4f8b2e7-9a16-4d3c-a0e5-1b7f6d2c8e34',
    allowed: [],
    blocked: [],
  }),
  dan: user({
    cn: 'Dan Jump',
    name: 'Dan Jump',
    displayName: 'Dan Jump',
    sam: 'djump',
    primary: 'dan.jump@fabrikam.com',
    proxies: ['SMTP:dan.jump@fabrikam.com', 'smtp:djump@contoso.com', 'SIP:dan.jump@fabrikam.com'],
    upn: 'djump@contoso.com',
    guid: '2a9e6c1d-58f3-47b0-9c4e-e0d3b6a1f725',
    allowed: [],
    blocked: [],
  }),
  ben: user({
    cn: 'Ben Andrews',
    name: 'Ben Andrews',
    displayName: 'Ben Andrews',
    sam: 'bandrews',
    primary: 'ben@contoso.com',
    proxies: ['SMTP:ben@contoso.com'],
    upn: 'ben@contoso.com',
    guid: 'e7b0d4f2-6c39-4a85-b1d6-4f2a9c8e0b53',
    allowed: [],
    blocked: [],
  }),
  molly: user({
    cn: 'Molly Dempsey',
    name: 'Molly Dempsey',
    displayName: 'Molly Dempsey',
    sam: 'mdempsey',
    primary: 'molly@contoso.com',
    proxies: ['SMTP:molly@contoso.com', 'smtp:m.dempsey@contoso.com'],
    upn: 'molly@contoso.com',
    guid: '9f5c3a8e-1d72-4b6f-8e03-7a4d2b9c6f18',
    allowed: [],
    blocked: [],
  }),
  chris: user({
    cn: 'Preston\\, Chris',
    name: 'Preston, Chris',
    displayName: 'Chris Preston',
    sam: 'cpreston',
    primary: 'chris.preston@contoso.com',
    proxies: ['SMTP:chris.preston@contoso.com'],
    upn: 'chris.preston@contoso.com',
    guid: '4e2d8b6a-f091-4c57-a3b8-5d0e7f1a9c62',
    allowed: ['ApplZ9X8C7V6B5N4'],
    blocked: [],
  }),
  lidia: user({
    cn: 'Lidia Holloway',
    name: 'Lidia Holloway',
    displayName: 'Lidia Holloway',
    sam: 'lholloway',
    primary: 'lidia@contoso.com',
    proxies: ['SMTP:lidia@contoso.com'],
    upn: 'lidia@contoso.com',
    guid: 'b8a1f6d3-2e94-4c0b-9f7a-c3e5d8b2a046',
    allowed: [],
    blocked: null,
  }),
} as const;

export const mailboxDn = (u: User) => `CN=${u.cn},OU=Users,DC=contoso,DC=com`;
export const mailboxId = (u: User) => `contoso.com/Users/${u.name}`;

export interface Device {
  readonly user: User;
  readonly type: string;
  readonly id: string;
  readonly model: string | null;
  readonly os: string;
  readonly ua: string;
  readonly friendly: string;
  readonly firstSync: string;
  readonly state: 'Allowed' | 'Blocked' | 'Quarantined' | 'DeviceDiscovery';
  readonly reason: 'Global' | 'Individual';
  readonly guid: string;
}

const U = USERS;
export const DEVICES: readonly Device[] = [
  {
    user: U.kim,
    type: 'iPhone',
    id: 'ApplC39GQ9UJDTDM',
    model: 'iPhone14C5',
    os: 'iOS 17.4.1 21E236',
    ua: 'Apple-iPhone14C5/2104.236',
    friendly: 'Kim’s iPhone',
    firstSync: '2023-11-14T22:13:20Z',
    state: 'Allowed',
    reason: 'Individual',
    guid: 'd1c5e8a2-7b34-4f90-8a6e-0c2b9d4f7e11',
  },
  {
    user: U.kim,
    type: 'iPad',
    id: 'ApplDMPXK1Q2Q1GC',
    model: 'iPad13C6',
    os: 'iOS 17.4.1 21E236',
    ua: 'Apple-iPad13C6/2104.236',
    friendly: 'Kim’s iPad',
    firstSync: '2024-03-02T08:41:05Z',
    state: 'Allowed',
    reason: 'Global',
    guid: '5a9f3c7e-2d18-4b6a-9e04-b7d1c8f2a3e5',
  },
  {
    user: U.pilar,
    type: 'SAMSUNGSMG991B',
    id: 'SEC12A4F7C9E0B3D',
    model: 'SM-G991B',
    os: 'Android 13.0.0',
    ua: 'SAMSUNG-SM-G991B/101.130001',
    friendly: 'Galaxy S21 5G',
    firstSync: '2022-06-09T13:05:44Z',
    state: 'Blocked',
    reason: 'Individual',
    guid: '8e4b1d6f-3a27-4c95-b0e8-f6a2d9c1b740',
  },
  {
    user: U.pilar,
    type: 'iPhone',
    id: 'ApplQ1W2E3R4T5Y6',
    model: 'iPhone12C1',
    os: 'iOS 16.7.5 20H307',
    ua: 'Apple-iPhone12C1/2008.307',
    friendly: 'iPhone',
    firstSync: '2024-09-17T06:30:00Z',
    state: 'Allowed',
    reason: 'Global',
    guid: '3c7a0e5d-9f42-4b18-a6d3-e1b8f0c7d295',
  },
  {
    user: U.sean,
    type: 'Android',
    id: 'androidc1597534862',
    model: 'Pixel 7',
    os: 'Android 14',
    ua: 'Android-Mail/2024.01.14.598476410.Release',
    friendly: 'Pixel 7',
    firstSync: '2024-01-10T17:22:31Z',
    state: 'Allowed',
    reason: 'Global',
    guid: 'f0d6b9a3-4e81-4c2f-9b57-2a8e6c3d1f04',
  },
  {
    user: U.dan,
    type: 'iPhone',
    id: 'ApplF17XK2M3N4P5',
    model: 'iPhone15C2',
    os: 'iOS 17.3 21D50',
    ua: 'Apple-iPhone15C2/2102.50',
    friendly: 'Dan’s iPhone 14 Pro',
    firstSync: '2024-02-20T09:15:12Z',
    state: 'Allowed',
    reason: 'Global',
    guid: '6b2e8d4f-0a95-4c31-8f7b-d4c1a9e6b382',
  },
  {
    user: U.ben,
    type: 'Android',
    id: 'androidc8819233407',
    model: 'Pixel 6a',
    os: 'Android 14',
    ua: 'Android-Mail/2023.12.03.588723991.Release',
    friendly: 'Pixel 6a',
    firstSync: '2024-04-05T11:48:09Z',
    state: 'Allowed',
    reason: 'Global',
    guid: 'a4f1c7e9-5b38-4d02-9e6a-1c8b3f5d7a26',
  },
  {
    user: U.ben,
    type: 'BlackBerry',
    id: 'BB2A61F0C7',
    model: 'BlackBerry Passport',
    os: 'BlackBerry 10.3.3.3216',
    ua: 'RIM-BlackBerry/10.3.3.3216',
    friendly: 'Passport',
    firstSync: '2019-08-23T15:02:47Z',
    state: 'Allowed',
    reason: 'Global',
    guid: '1e9d5b3a-7c64-4f28-b2a0-8d6f4e1c9b57',
  },
  {
    user: U.molly,
    type: 'iPhone',
    id: 'ApplK8LM9N0P1Q2R',
    model: 'iPhone14C2',
    os: 'iOS 17.2.1 21C66',
    ua: 'Apple-iPhone14C2/2101.66',
    friendly: 'Molly’s iPhone',
    firstSync: '2023-12-28T19:40:18Z',
    state: 'Allowed',
    reason: 'Global',
    guid: 'c9b3e7a1-2f56-4d84-a0c9-5e7b1d3f8a62',
  },
  {
    user: U.molly,
    type: 'WindowsMail',
    id: '5A0B8C74D3E1F26A9B7C0D1E2F3A4B5C',
    model: null,
    os: 'Windows 10.0.19045',
    ua: 'MSFT-WIN-3/10.0.19045',
    friendly: '',
    firstSync: '2025-01-07T07:55:31Z',
    state: 'DeviceDiscovery',
    reason: 'Global',
    guid: '0f7a4c2e-8d93-4b15-9e6d-b3a0c5f8e147',
  },
  {
    user: U.chris,
    type: 'iPhone',
    id: 'ApplZ9X8C7V6B5N4',
    model: 'iPhone16C2',
    os: 'iOS 17.5 21F79',
    ua: 'Apple-iPhone16C2/2105.79',
    friendly: 'Chris’s iPhone 15 Pro Max',
    firstSync: '2024-05-21T10:03:26Z',
    state: 'Allowed',
    reason: 'Individual',
    guid: '7c5e1a9d-3b48-4f60-8d2c-e9a4b6f0c318',
  },
  {
    user: U.lidia,
    type: 'Android',
    id: 'androidc5501773190',
    model: 'SM-A546B',
    os: 'Android 14',
    ua: 'Android-Mail/2024.03.03.612009284.Release',
    friendly: 'Galaxy A54',
    firstSync: '2024-03-18T14:27:53Z',
    state: 'Allowed',
    reason: 'Global',
    guid: 'e3a8d6b0-4f17-4c9e-a5b2-7d0c9e3f6a81',
  },
];

export const deviceName = (d: Device) => `${d.type}§${d.id}`;
export const deviceIdentity = (d: Device) => `${mailboxId(d.user)}/ExchangeActiveSyncDevices/${deviceName(d)}`;
export const deviceDn = (d: Device) => `CN=${deviceName(d)},CN=ExchangeActiveSyncDevices,${mailboxDn(d.user)}`;
