// The sample organization's Intune side (examples/exports/, written by
// make-samples.ts): its two groups and the managed devices Graph returns, one
// per branch of the mapping (enrolled, compliant, in grace, unmapped, Exchange-only).
import { USERS, type User } from './sample-org.js';

const U = USERS;
export const GROUP_MOBILE = '8c5b1f7e-2d4a-4e61-9f3b-6a2c1d0e9b47'; // "EAS - Mobile mail"
export const GROUP_EXEMPT = 'e1a90c3d-7b25-4f8e-a6d4-0f9b2c7e5a13'; // "EAS - Exempt executives"

const NO_GRACE = '9999-12-31T23:59:59Z';
export interface Managed {
  readonly id: string;
  readonly user: User | undefined;
  readonly email?: string;
  readonly eas: string;
  readonly state: string;
  readonly agent: string;
  readonly grace: string;
  readonly lastSync: string;
  readonly name: string;
  readonly model: string;
  readonly os: string;
  readonly osVersion: string;
  readonly maker: string;
}
export const MANAGED: readonly Managed[] = [
  {
    id: '3f2c8e1a-6b7d-4c90-8e15-2a9d7f4b6c01',
    user: U.kim,
    eas: 'ApplC39GQ9UJDTDM',
    state: 'compliant',
    agent: 'mdm',
    grace: NO_GRACE,
    lastSync: '2025-06-02T07:12:44Z',
    name: 'Kim’s iPhone',
    model: 'iPhone 13',
    os: 'iOS',
    osVersion: '17.4.1',
    maker: 'Apple',
  },
  {
    id: '91d4b7e2-0c38-4a6f-b5e9-7f2a1c8d3e60',
    user: U.kim,
    eas: 'ApplDMPXK1Q2Q1GC',
    state: 'inGracePeriod',
    agent: 'mdm',
    grace: '2030-06-30T00:00:00Z',
    lastSync: '2025-06-01T21:03:10Z',
    name: 'Kim’s iPad',
    model: 'iPad Pro (12.9-inch) (5th generation)',
    os: 'iPadOS',
    osVersion: '17.4.1',
    maker: 'Apple',
  },
  {
    id: 'c7a2e9f4-5b16-4d83-a0c7-3e9b6d1f2a48',
    user: U.pilar,
    eas: 'SEC12A4F7C9E0B3D',
    state: 'noncompliant',
    agent: 'mdm',
    grace: NO_GRACE,
    lastSync: '2025-06-02T06:44:19Z',
    name: 'Galaxy S21 5G',
    model: 'SM-G991B',
    os: 'Android',
    osVersion: '13',
    maker: 'samsung',
  },
  {
    id: '5e8b3d1c-9a47-4f2e-8c60-b1d7a4e9f352',
    user: U.sean,
    eas: 'androidc1597534862',
    state: 'inGracePeriod',
    agent: 'mdm',
    grace: '2024-02-01T00:00:00Z',
    lastSync: '2025-05-30T18:27:02Z',
    name: 'Pixel 7',
    model: 'Pixel 7',
    os: 'Android',
    osVersion: '14',
    maker: 'Google',
  },
  // Kim's previous iPhone, handed on to Pilar without a wipe: its enrollment is Kim's, not Pilar's.
  {
    id: 'a0f6c3e8-2d91-4b57-9e4a-6c8d1b3f7e25',
    user: U.kim,
    eas: 'ApplQ1W2E3R4T5Y6',
    state: 'compliant',
    agent: 'mdm',
    grace: NO_GRACE,
    lastSync: '2024-09-15T12:00:31Z',
    name: 'Kim’s old iPhone',
    model: 'iPhone 11',
    os: 'iOS',
    osVersion: '16.7.5',
    maker: 'Apple',
  },
  // Enrolled as djump@contoso.com, whose mailbox's primary address is at fabrikam.com.
  {
    id: 'd2b9f5a7-6e03-4c18-b4d9-8a1e7c5f0b63',
    user: U.dan,
    email: 'djump@contoso.com',
    eas: 'ApplF17XK2M3N4P5',
    state: 'compliant',
    agent: 'mdm',
    grace: NO_GRACE,
    lastSync: '2025-06-02T05:58:37Z',
    name: 'Dan’s iPhone 14 Pro',
    model: 'iPhone 14 Pro',
    os: 'iOS',
    osVersion: '17.3',
    maker: 'Apple',
  },
  // Exchange's own record of an unenrolled device (managementAgent eas): not an enrollment.
  {
    id: 'f8c1a6d3-4b72-4e95-a3f0-2d6b9e8c1a74',
    user: U.molly,
    eas: 'ApplK8LM9N0P1Q2R',
    state: 'compliant',
    agent: 'eas',
    grace: NO_GRACE,
    lastSync: '2025-06-01T09:31:56Z',
    name: 'Molly’s iPhone',
    model: 'iPhone 13 mini',
    os: 'iOS',
    osVersion: '17.2.1',
    maker: 'Apple',
  },
  // A Windows laptop: no EAS id (""), never checked in (0001-01-01).
  {
    id: '6a3e0d9b-7f25-4c41-8b6e-e4c2a7f1d908',
    user: U.lidia,
    eas: '',
    state: 'compliant',
    agent: 'mdm',
    grace: NO_GRACE,
    lastSync: '0001-01-01T00:00:00Z',
    name: 'LIDIA-LT01',
    model: 'Surface Laptop 5',
    os: 'Windows',
    osVersion: '10.0.22631.3593',
    maker: 'Microsoft Corporation',
  },
];
