// Generates a realistic Exchange organization + Intune tenant from a seed.
// Categories are allotted by exact counts and then shuffled (not drawn one by
// one), so the mix is stable across seeds and every category is present from
// 200 devices on; only which partnership gets which category depends on the seed.
import type { ComplianceState, ManagedDevice } from '../../src/facts.js';
import { ruleName } from '../../src/commands.js';
import { Random } from './random.js';
import { ADMIN_RULE, BLACKBERRY, EVERYDAY, FIRST_NAMES, GALAXY_J3, LAPTOPS, LAST_NAMES, type Platform } from './catalog.js';
import { addressPart, flat, deviceDn, deviceIdentity, domainOf, mailboxDn, mailboxIdentity } from './identities.js';

export type { Category, DeviceRecord, GeneratedOrganization, GenerateOptions, MailboxRecord, MixSummary, Mutable } from './generated.js';
import type { Category, DeviceRecord, GeneratedOrganization, GenerateOptions, MailboxRecord, Mutable } from './generated.js';

const SHARES: readonly (readonly [Exclude<Category, 'compliant'>, number])[] = [
  ['noncompliant', 0.1],
  ['graceActive', 0.05],
  ['graceExpired', 0.03],
  ['otherState', 0.01],
  ['notEnrolled', 0.14],
  ['notEnrolledEasRecord', 0.06],
  ['exceptionFamily', 0.02],
  ['exceptionModel', 0.01],
  ['mappingConflict', 0.005],
];

const ENROLLED: ReadonlySet<Category> = new Set(['compliant', 'noncompliant', 'graceActive', 'graceExpired', 'otherState']);

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** What Graph reports as the grace deadline of a device that is not in grace. */
export const NO_GRACE = '9999-12-31T23:59:59Z';
const iso = (ms: number) => new Date(ms).toISOString();

/** Exact counts per category; every category at least once from 200 devices on. */
function allot(n: number): Category[] {
  const out: Category[] = [];
  let used = 0;
  for (const [c, share] of SHARES) {
    let k = Math.round(share * n);
    if (n >= 200 && k < 1) k = 1;
    for (let i = 0; i < k; i++) out.push(c);
    used += k;
  }
  for (let i = used; i < n; i++) out.push('compliant');
  return out.slice(0, n);
}

/** Picks `k` distinct items (k ≤ xs.length) using a partial shuffle. */
function sample<T>(r: Random, xs: readonly T[], k: number): T[] {
  const a = [...xs];
  const m = Math.min(k, a.length);
  for (let i = 0; i < m; i++) {
    const j = i + r.int(a.length - i);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a.slice(0, m);
}

/** round(share·n), at least `min` when the organization is large enough to show every category. */
const share = (n: number, p: number, big: boolean, min = 1) => Math.max(big ? min : 0, Math.round(n * p));

export function generateOrganization(o: GenerateOptions): GeneratedOrganization {
  if (!Number.isInteger(o.devices) || o.devices < 0) throw new Error(`devices must be a non-negative integer, got ${o.devices}`);
  const r = new Random(o.seed);
  const now = o.now;
  const N = o.devices;
  const big = N >= 200;
  const domain = domainOf(o.organization);
  const orgLabel = domain.split('.')[0]!;

  // ---- users and how many partnerships each has (70% one, 25% two, 5% three)
  const perUser: number[] = [];
  for (let left = N; left > 0;) {
    const k = Math.min(
      left,
      r.weighted([
        [1, 70],
        [2, 25],
        [3, 5],
      ] as const),
    );
    perUser.push(k);
    left -= k;
  }
  const U = perUser.length;

  // ---- names, unique display names and addresses
  // small value sets (user agents, friendly names) are shared, not rebuilt per device
  const memos = new Map<string, string>();
  const memo = (a: string, b: string, make: () => string) => {
    const k = a + '\u0000' + b;
    let v = memos.get(k);
    if (v === undefined) memos.set(k, (v = make()));
    return v;
  };
  const onMicrosoft = `${orgLabel}.mail.onmicrosoft.com`;
  const parts = new Map<string, string>();
  const part = (name: string) => {
    let p = parts.get(name);
    if (p === undefined) parts.set(name, (p = addressPart(name)));
    return p;
  };
  const takenNames = new Set<string>();
  const takenAddresses = new Set<string>();
  // next numeric suffix per base: probing from 2 every time is quadratic at 100k users
  const nextSuffix = new Map<string, number>();
  const uniqueAddress = (local: string, at: string) => {
    const base = flat(local, '@', at);
    let n = nextSuffix.get(base) ?? 1;
    let candidate = n === 1 ? base : flat(local, String(n), '@', at);
    while (takenAddresses.has(candidate)) candidate = flat(local, String(++n), '@', at);
    nextSuffix.set(base, n + 1);
    takenAddresses.add(candidate);
    return candidate;
  };
  const uniqueName = (first: string, last: string) => {
    const base = `${first} ${last}`;
    if (!takenNames.has(base.toLowerCase())) return base;
    const initial = `${first} ${String.fromCharCode(65 + r.int(26))}. ${last}`;
    if (!takenNames.has(initial.toLowerCase())) return initial;
    let n = nextSuffix.get(base) ?? 2;
    let candidate = `${base} ${n}`;
    while (takenNames.has(candidate.toLowerCase())) candidate = `${base} ${++n}`;
    nextSuffix.set(base, n + 1);
    return candidate;
  };
  const firsts: string[] = new Array(U);
  const lasts: string[] = new Array(U);
  const mailboxes: MailboxRecord[] = new Array(U);
  for (let u = 0; u < U; u++) {
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    const display = uniqueName(first, last);
    takenNames.add(display.toLowerCase());
    firsts[u] = first;
    lasts[u] = last;
    const local = `${part(first)}.${part(last)}`;
    const primary = uniqueAddress(local, domain);
    const emailAddresses = [flat('SMTP:', primary)];
    if (r.chance(0.3)) emailAddresses.push(flat('smtp:', uniqueAddress(local, onMicrosoft)));
    if (r.chance(0.15)) emailAddresses.push(flat('smtp:', uniqueAddress(part(first)[0] + part(last), domain)));
    emailAddresses.push(flat('SIP:', primary));
    if (r.chance(0.1)) {
      emailAddresses.push(
        flat(
          'X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=',
          r.hex(32).toLowerCase(),
          '-',
          primary.split('@')[0]!,
        ),
      );
    }
    mailboxes[u] = {
      identity: mailboxIdentity(domain, display),
      distinguishedName: mailboxDn(domain, display),
      guid: r.uuid(),
      displayName: display,
      primarySmtpAddress: primary,
      emailAddresses: emailAddresses.slice(), // exact-size copy: pushed arrays keep spare capacity
      userPrincipalName: primary,
      activeSyncEnabled: true,
      allowedDeviceIds: [],
      blockedDeviceIds: [],
    };
  }

  // ---- partnerships, with their category
  const usedIds = new Set<string>();
  const newDeviceId = (p: Platform) => {
    let id = p.newId(r);
    // each platform's ids have one letter case, so exact comparison is enough here
    while (usedIds.has(id)) id = p.newId(r);
    usedIds.add(id);
    return id;
  };
  const categoryOf = r.shuffle(allot(N));
  const devices: { device: DeviceRecord; mailbox: number }[] = [];
  const devicesOfUser: number[][] = new Array(U);
  const platformOf: Platform[] = [];
  for (let u = 0, d = 0; u < U; u++) {
    const mine: number[] = [];
    const mb = mailboxes[u]!;
    for (let k = 0; k < perUser[u]!; k++, d++) {
      const cat = categoryOf[d]!;
      const p = cat === 'exceptionFamily' ? BLACKBERRY : cat === 'exceptionModel' ? GALAXY_J3 : r.weighted(EVERYDAY);
      const model = r.pick(p.models);
      const os = r.pick(p.os);
      const id = newDeviceId(p);
      const device: DeviceRecord = {
        identity: deviceIdentity(mb.identity, p.deviceType, id),
        distinguishedName: deviceDn(mb.distinguishedName, p.deviceType, id),
        guid: r.uuid(),
        deviceId: id,
        deviceType: p.deviceType,
        deviceModel: model,
        deviceOS: os,
        deviceUserAgent: memo(model, os, () => p.userAgent(model, os)),
        friendlyName: memo(firsts[u]!, p.friendly, () => `${firsts[u]}'s ${p.friendly}`),
        firstSyncTime: iso(now - DAY - r.int(900 * DAY)),
        userDisplayName: mb.displayName,
      };
      mine.push(devices.length);
      platformOf.push(p);
      devices.push({ device, mailbox: u });
    }
    devicesOfUser[u] = mine;
  }

  // ---- user-level traits: disjoint excluded / untargeted / ActiveSync-disabled users
  const perm = r.shuffle(Array.from({ length: U }, (_, i) => i));
  const nExcluded = Math.min(U, share(U, 0.03, big, 2));
  const nUntargeted = Math.min(U - nExcluded, share(U, 0.05, big));
  const nDisabled = Math.min(U - nExcluded - nUntargeted, share(U, 0.005, big));
  const excludedUsers = perm.slice(0, nExcluded);
  // two thirds of excluded users are also in the included group: exclusion must win
  const nExcludedAlsoIncluded = nExcluded >= 2 ? Math.max(1, Math.round((nExcluded * 2) / 3)) : 0;
  const notInAllUsers = new Set<number>([...perm.slice(nExcludedAlsoIncluded, nExcluded + nUntargeted)]);
  for (const u of perm.slice(nExcluded + nUntargeted, nExcluded + nUntargeted + nDisabled)) mailboxes[u]!.activeSyncEnabled = false;

  // UPN differs from primary SMTP: chosen among users with an enrolled device, so it matters
  const enrolledUsers: number[] = [];
  for (let u = 0; u < U; u++) {
    if (devicesOfUser[u]!.some((d) => ENROLLED.has(categoryOf[d]!))) enrolledUsers.push(u);
  }
  const upnDiffers = new Set(sample(r, enrolledUsers, share(U, 0.02, big)));
  for (const u of upnDiffers) {
    const mb = mailboxes[u]!;
    mb.userPrincipalName = uniqueAddress(`${part(firsts[u]!)[0]}.${part(lasts[u]!)}`, `corp.${domain}`);
  }

  // Admin-made exemptions that predate the engine
  const kinds = ['allowOwn', 'staleAllowed', 'allowOwn', 'staleBlocked', 'blockOwn'] as const;
  const withEntries = sample(r, perm, share(U, 0.02, big));
  withEntries.forEach((u, i) => {
    const mb = mailboxes[u]!;
    const kind = kinds[i % kinds.length]!;
    const own = devices[r.pick(devicesOfUser[u]!)]!.device.deviceId;
    const stale = newDeviceId(r.weighted(EVERYDAY)); // looks like any other id of the org
    if (kind === 'allowOwn') mb.allowedDeviceIds.push(own);
    else if (kind === 'blockOwn') mb.blockedDeviceIds.push(own);
    else if (kind === 'staleAllowed') mb.allowedDeviceIds.push(stale);
    else mb.blockedDeviceIds.push(stale);
  });

  // ---- Intune
  const managed: Mutable<ManagedDevice>[] = [];
  const recent = () => iso(now - r.int(14 * DAY));
  const caseVariant = (id: string) => (r.chance(0.1) ? (id === id.toLowerCase() ? id.toUpperCase() : id.toLowerCase()) : id);
  const enrollment = (
    u: number,
    easDeviceId: string | undefined,
    p: Platform | undefined,
    state: ComplianceState,
    agent: string,
  ): Mutable<ManagedDevice> => {
    const mb = mailboxes[u]!;
    const md: Mutable<ManagedDevice> = {
      id: r.uuid(),
      userPrincipalName: mb.userPrincipalName,
      complianceState: state,
      managementAgent: agent,
      lastSyncDateTime: recent(),
      complianceGracePeriodExpirationDateTime: NO_GRACE,
      deviceName: memo(firsts[u]!, p ? p.friendly : 'PC', () => `${firsts[u]}'s ${p ? p.friendly : 'PC'}`),
      model: p ? r.pick(p.intune.models) : undefined,
      operatingSystem: p ? p.intune.operatingSystem : undefined,
    };
    if (easDeviceId !== undefined) md.easDeviceId = easDeviceId;
    // users whose UPN differs are linked by their UPN only (the original's blind spot)
    if (!upnDiffers.has(u)) md.emailAddress = mb.primarySmtpAddress;
    return md;
  };
  const OTHER: readonly ComplianceState[] = ['unknown', 'error', 'conflict'];
  let otherIndex = 0;
  let laptops = 0;
  for (let u = 0; u < U; u++) {
    for (const d of devicesOfUser[u]!) {
      const dev = devices[d]!.device;
      const p = platformOf[d]!;
      const cat = categoryOf[d]!;
      const agent = () => (r.chance(0.3) ? 'easMdm' : 'mdm');
      switch (cat) {
        case 'compliant': {
          if (r.chance(0.01)) {
            // a stale record of an earlier enrollment; the latest one decides
            const old = enrollment(u, dev.deviceId, p, 'noncompliant', 'mdm');
            old.lastSyncDateTime = iso(now - 30 * DAY - r.int(60 * DAY));
            managed.push(old);
          }
          managed.push(enrollment(u, caseVariant(dev.deviceId), p, 'compliant', agent()));
          break;
        }
        case 'noncompliant':
          managed.push(enrollment(u, caseVariant(dev.deviceId), p, 'noncompliant', agent()));
          break;
        case 'graceActive': {
          const md = enrollment(u, caseVariant(dev.deviceId), p, 'inGracePeriod', agent());
          md.complianceGracePeriodExpirationDateTime = iso(now + HOUR + r.int(7 * DAY));
          managed.push(md);
          break;
        }
        case 'graceExpired': {
          const md = enrollment(u, caseVariant(dev.deviceId), p, 'inGracePeriod', agent());
          md.complianceGracePeriodExpirationDateTime = iso(now - HOUR - r.int(10 * DAY));
          managed.push(md);
          break;
        }
        case 'otherState':
          managed.push(enrollment(u, caseVariant(dev.deviceId), p, OTHER[otherIndex++ % OTHER.length]!, agent()));
          break;
        case 'notEnrolledEasRecord':
          // Exchange's own record of an unenrolled device; its state is meaningless (sometimes "compliant")
          managed.push(enrollment(u, dev.deviceId, p, r.pick(['unknown', 'compliant', 'noncompliant'] as const), 'eas'));
          break;
        case 'mappingConflict': {
          if (U < 2) {
            categoryOf[d] = 'notEnrolled';
            break;
          }
          let other = r.int(U - 1);
          if (other >= u) other++;
          managed.push(enrollment(other, dev.deviceId, p, 'compliant', 'mdm'));
          break;
        }
        case 'notEnrolled':
        case 'exceptionFamily':
        case 'exceptionModel':
          break;
      }
    }
    if (r.chance(0.15)) {
      const l = r.pick(LAPTOPS);
      const md = enrollment(u, undefined, undefined, r.chance(0.9) ? 'compliant' : 'noncompliant', 'mdm');
      md.model = l.model;
      md.operatingSystem = l.operatingSystem;
      md.deviceName = `${part(lasts[u]!).toUpperCase().slice(0, 6)}-${r.alnum(7)}`;
      managed.push(md);
      laptops++;
    }
  }
  // Graph lists devices in its own order, not grouped by user
  r.shuffle(managed);

  // ---- groups
  const allUsersMembers: string[] = [];
  for (let u = 0; u < U; u++) if (!notInAllUsers.has(u)) allUsersMembers.push(mailboxes[u]!.userPrincipalName);
  const pilotMembers = sample(r, perm, share(U, 0.01, big)).map((u) => mailboxes[u]!.userPrincipalName);
  const groups = {
    allUsers: { id: r.uuid(), members: allUsersMembers },
    excluded: { id: r.uuid(), members: excludedUsers.map((u) => mailboxes[u]!.userPrincipalName) },
    pilot: { id: r.uuid(), members: pilotMembers },
  };

  const partnerships = Object.fromEntries((['compliant', ...SHARES.map(([c]) => c)] as Category[]).map((c) => [c, 0])) as Record<
    Category,
    number
  >;
  for (const c of categoryOf) partnerships[c]++;

  return {
    domain,
    mailboxes,
    devices,
    managedDevices: managed,
    groups,
    orgSettings: { defaultAccessLevel: 'Allow', userMailInsert: '', adminMailRecipients: [] },
    rules: [{ name: ruleName(ADMIN_RULE.characteristic, ADMIN_RULE.queryString), ...ADMIN_RULE }],
    categoryOf,
    mix: {
      partnerships,
      users: U,
      excluded: nExcluded,
      excludedAlsoIncluded: nExcludedAlsoIncluded,
      untargeted: nUntargeted,
      activeSyncDisabled: nDisabled,
      upnDiffers: upnDiffers.size,
      preexistingEntries: withEntries.length,
      managedDevices: managed.length,
      laptops,
    },
    random: r,
  };
}
