// Names and device platforms the generator draws from. The odd names
// (apostrophes, accents, a comma) are there on purpose: they exercise DN
// escaping and address normalisation downstream.
import type { Random } from './random.js';

export const FIRST_NAMES: readonly string[] = [
  'Kim',
  'Ana',
  'Ben',
  'Chloé',
  'David',
  'Elena',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'José',
  'Karin',
  'Liam',
  'Maya',
  'Noah',
  'Olga',
  'Pierre',
  'Quinn',
  'Rosa',
  'Sven',
  'Tariq',
  'Uma',
  'Viktor',
  'Wen',
  'Xavier',
  'Yuki',
  'Zoë',
  'Aisha',
  'Bruno',
  'Carmen',
  'Dmitri',
  'Emma',
  'Fatima',
  'Gustav',
  'Hana',
  'Ivan',
  'Jamal',
  'Keiko',
  'Lars',
  'Mónica',
  'Nadia',
  'Oscar',
  'Priya',
  'Rafael',
  'Sofia',
  'Tomás',
  'Ulla',
  'Vera',
  'William',
  'Yasmin',
  'Zane',
  'Amélie',
  'Björn',
  'Conor',
  'Dagny',
  'Eamon',
  'Freya',
  'Günter',
  'Helena',
  'Jörg',
];

export const LAST_NAMES: readonly string[] = [
  'Akers',
  "O'Brien",
  'Smith, Jr.',
  'García',
  'Müller',
  'Tanaka',
  'Nguyen',
  'Kowalski',
  'Andersson',
  'Rossi',
  'Dubois',
  'Silva',
  'Chen',
  'Patel',
  'Kim',
  'Novak',
  'Jensen',
  'Schmidt',
  'Haddad',
  'Ivanova',
  "D'Angelo",
  'Núñez',
  'Okafor',
  'Larsen',
  'Moreau',
  'Yamamoto',
  'Fischer',
  'Costa',
  'Singh',
  'Walsh',
  'Bauer',
  'Lindqvist',
  'Hernández',
  'Kaur',
  'Petrov',
  'Rahman',
  'Sato',
  'Weber',
  'Young',
  'Zimmermann',
  "N'Diaye",
  'Brennan',
  'Caruso',
  'Dahl',
  'Eriksen',
  'Fontaine',
  'Gallagher',
  'Horvat',
  'Ibrahim',
  'Jovanović',
  'Keller',
  'Lopez',
  'MacLeod',
  'Nakamura',
  'Olsen',
  'Popescu',
  'Quigley',
  'Richter',
  'Søndergaard',
  'Thompson',
];

/** A sync client/platform as Exchange reports it, and how Intune sees it when enrolled. */
export interface Platform {
  readonly deviceType: string;
  readonly models: readonly string[];
  readonly os: readonly string[];
  readonly friendly: string;
  readonly userAgent: (model: string, os: string) => string;
  readonly newId: (r: Random) => string;
  /** Intune's operatingSystem and models when such a device is enrolled. */
  readonly intune: { readonly operatingSystem: string; readonly models: readonly string[] };
}

const iosBuild = (os: string) =>
  (os.split(' ')[2] ?? '1')
    .replace(/[^0-9]/g, '')
    .slice(0, 4)
    .padEnd(4, '0');
const appleId = (r: Random) => 'Appl' + r.alnum(12);

export const IPHONE: Platform = {
  deviceType: 'iPhone',
  models: ['iPhone14C5', 'iPhone15C2', 'iPhone15C4', 'iPhone16C1', 'iPhone16C2', 'iPhone17C1'],
  os: ['iOS 16.7.10 20H350', 'iOS 17.6.1 21G93', 'iOS 18.1 22B83', 'iOS 18.3.2 22D82'],
  friendly: 'iPhone',
  userAgent: (m, os) => `Apple-${m}/${iosBuild(os)}.${os.length}`,
  newId: appleId,
  intune: { operatingSystem: 'iOS', models: ['iPhone 13', 'iPhone 14 Pro', 'iPhone 15', 'iPhone 16 Pro'] },
};

/** Old iPhones on iOS 9: what the admin's pre-existing Block rule is about. */
export const OLD_IPHONE: Platform = {
  ...IPHONE,
  models: ['iPhone4C1'],
  os: ['iOS 9.3.5 13G36'],
  intune: { operatingSystem: 'iOS', models: ['iPhone 4S'] },
};

export const IPAD: Platform = {
  ...IPHONE,
  deviceType: 'iPad',
  models: ['iPad13C1', 'iPad14C3', 'iPad16C3'],
  friendly: 'iPad',
  intune: { operatingSystem: 'iPadOS', models: ['iPad Air (5th generation)', 'iPad Pro 11-inch'] },
};

/** Outlook for iOS and Android reports DeviceType Outlook whatever the phone. */
export const OUTLOOK_IOS: Platform = {
  deviceType: 'Outlook',
  models: ['Outlook for iOS and Android'],
  os: ['iOS 18.1', 'iOS 17.6.1'],
  friendly: 'Outlook',
  userAgent: () => 'Outlook-iOS/2.0',
  newId: (r) => r.hex(32),
  intune: { operatingSystem: 'iOS', models: ['iPhone 15', 'iPhone 14 Pro'] },
};

export const OUTLOOK_ANDROID: Platform = {
  ...OUTLOOK_IOS,
  os: ['Android 14', 'Android 13'],
  userAgent: () => 'Outlook-Android/2.0',
  intune: { operatingSystem: 'Android', models: ['Pixel 8', 'SM-S918B'] },
};

export const ANDROID: Platform = {
  deviceType: 'Android',
  models: ['Pixel 7', 'Pixel 8', 'Pixel 8 Pro', 'moto g54 5G', 'Nokia G42'],
  os: ['Android 13.0.0', 'Android 14.0.0', 'Android 15.0.0'],
  friendly: 'Android',
  userAgent: (_m, os) => `Android/${os.split(' ')[1] ?? '14'}-EAS-2.0`,
  newId: (r) => 'androidc' + r.digits(10),
  intune: { operatingSystem: 'Android', models: ['Pixel 7', 'Pixel 8', 'moto g54 5G'] },
};

const samsung = (model: string, os: readonly string[]): Platform => ({
  deviceType: 'SAMSUNG' + model.replace(/-/g, ''),
  models: [model],
  os,
  friendly: 'Galaxy',
  userAgent: (m) => `SAMSUNG-${m}/101.140104`,
  newId: (r) => 'SEC' + r.hex(13),
  intune: { operatingSystem: 'Android', models: [model] },
});

export const GALAXY_S21 = samsung('SM-G991B', ['Android 13.1.0', 'Android 14.1.0']);
export const GALAXY_S23 = samsung('SM-S918B', ['Android 14.1.0', 'Android 15.0.0']);

export const WINDOWS_MAIL: Platform = {
  deviceType: 'WindowsMail',
  models: ['WINDOWS'],
  os: ['Windows 10.0.19045', 'Windows 10.0.22631'],
  friendly: 'Windows Mail',
  userAgent: (_m, os) => `MSFT-WIN-3/${os.split(' ')[1] ?? '10.0'}`,
  newId: (r) => r.hex(32),
  intune: { operatingSystem: 'Windows', models: ['Surface Laptop 5', 'Latitude 7440'] },
};

export const BLACKBERRY: Platform = {
  deviceType: 'BlackBerry',
  models: ['BBF100-1', 'BBB100-2', 'Passport'],
  os: ['BlackBerry 10.3.3.3216', 'Android 8.1.0'],
  friendly: 'BlackBerry',
  userAgent: () => 'BlackBerry/10.3.3.3216',
  newId: (r) => 'BB' + r.hex(14),
  intune: { operatingSystem: 'Android', models: ['BBF100-1'] },
};

/** The rare model the simulated policy blocks by a `model` exception. */
export const RARE_MODEL = 'SM-J320F';
export const GALAXY_J3 = samsung(RARE_MODEL, ['Android 5.1.1']);

/** Everyday platforms with their share of partnerships (exception platforms excluded). */
export const EVERYDAY: readonly (readonly [Platform, number])[] = [
  [IPHONE, 46],
  [IPAD, 5],
  [OUTLOOK_IOS, 9],
  [OUTLOOK_ANDROID, 7],
  [ANDROID, 12],
  [GALAXY_S21, 8],
  [GALAXY_S23, 6],
  [WINDOWS_MAIL, 4],
  [OLD_IPHONE, 0.4],
];

/** Managed devices without any EAS partnership (laptops, desktops). */
export const LAPTOPS: readonly { readonly operatingSystem: string; readonly model: string }[] = [
  { operatingSystem: 'Windows', model: 'Surface Laptop 5' },
  { operatingSystem: 'Windows', model: 'Latitude 7440' },
  { operatingSystem: 'Windows', model: 'ThinkPad T14 Gen 4' },
  { operatingSystem: 'macOS', model: 'MacBook Air (M2, 2022)' },
];

/** The Block rule an admin made long ago, unrelated to any policy. */
export const ADMIN_RULE = { characteristic: 'DeviceOS', queryString: 'iOS 9.3.5 13G36', accessLevel: 'Block' } as const;
