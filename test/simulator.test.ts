import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import { simulateOrganization, escapeDnValue, DEFAULT_NOW, RARE_MODEL, type Simulation } from '../adapters/simulator/index.js';
import { evaluateExchange } from '../src/exchange-evaluation.js';
import { mailboxDnOfDevice, mailboxIdentityOfDevice, userAddresses, dnComponents } from '../src/identity.js';
import { parsePolicy, policyDocument } from '../src/policy.js';
import type { ManagedDevice } from '../src/facts.js';
import type { SetCasMailbox } from '../src/commands.js';

const right = <E, A>(e: Either<E, A>): A => {
  if (isLeft(e)) throw new Error(`expected Right, got Left ${JSON.stringify(e.left)}`);
  return e.right;
};
const leftOf = <E, A>(e: Either<E, A>): E => {
  if (isRight(e)) throw new Error('expected Left, got Right');
  return e.left;
};
const iso = (ms: number) => new Date(ms).toISOString();
const lc = (s: string) => s.toLowerCase();
const setCas = (
  mailbox: string,
  allowed: { add?: string[]; remove?: string[] },
  blocked: { add?: string[]; remove?: string[] } = {},
): SetCasMailbox => ({
  kind: 'setCasMailbox',
  mailbox,
  allowedDeviceIds: { add: allowed.add ?? [], remove: allowed.remove ?? [] },
  blockedDeviceIds: { add: blocked.add ?? [], remove: blocked.remove ?? [] },
});

/** Everything a seed determines, as comparable data. */
async function snapshot(sim: Simulation): Promise<string> {
  return JSON.stringify({
    state: { ...sim.exchange.state(), stickyBlocks: [...sim.exchange.state().stickyBlocks] },
    managed: right(await sim.intune.getManagedDevices()),
    groups: sim.groups,
    members: [...right(await sim.intune.getGroupMembers(Object.values(sim.groups)))].map(([k, v]) => [k, [...v]]),
    policy: sim.policy,
  });
}

/** Recounts the mix from the data alone (not from the generator's labels). */
async function census(sim: Simulation) {
  const devices = right(await sim.exchange.getMobileDevices());
  const mailboxes = right(await sim.exchange.getCasMailboxes());
  const managed = right(await sim.intune.getManagedDevices());
  const members = right(await sim.intune.getGroupMembers([sim.groups.allUsers, sim.groups.excluded]));
  const all = members.get(sim.groups.allUsers)!;
  const excl = members.get(sim.groups.excluded)!;
  const byDn = new Map(mailboxes.map((m) => [lc(m.distinguishedName!), m]));
  const byEas = new Map<string, ManagedDevice[]>();
  for (const md of managed) if (md.easDeviceId) byEas.set(lc(md.easDeviceId), [...(byEas.get(lc(md.easDeviceId)) ?? []), md]);
  const c = {
    compliant: 0,
    noncompliant: 0,
    graceActive: 0,
    graceExpired: 0,
    unknownErrorConflict: 0,
    notEnrolledNoRecord: 0,
    notEnrolledEasRecordOnly: 0,
    blackBerry: 0,
    rareModel: 0,
    mappingConflict: 0,
    upnDiffersEnrolled: 0,
    easIdCaseDiffers: 0,
    laptops: 0,
    staleEnrollmentRecords: 0,
    usersExcluded: 0,
    usersExcludedAndIncluded: 0,
    usersUntargeted: 0,
    activeSyncDisabled: 0,
    exemptionOwnDevice: 0,
    exemptionStaleId: 0,
    users: mailboxes.length,
    partnerships: devices.length,
  };
  const ids = new Set(devices.map((d) => lc(d.deviceId)));
  for (const d of devices) {
    const mb = byDn.get(lc(mailboxDnOfDevice(d.distinguishedName!)!))!;
    const addrs = new Set(userAddresses(mb));
    const recs = byEas.get(lc(d.deviceId)) ?? [];
    const enrolled = recs.filter((r) => r.managementAgent !== 'eas');
    const own = enrolled.filter((r) => addrs.has(lc(r.userPrincipalName ?? '')) || addrs.has(lc(r.emailAddress ?? '')));
    if (own.length > 0) {
      const latest = own.reduce((a, b) => (a.lastSyncDateTime! >= b.lastSyncDateTime! ? a : b));
      if (own.length > 1) c.staleEnrollmentRecords++;
      if (latest.easDeviceId !== d.deviceId) c.easIdCaseDiffers++;
      if (lc(mb.userPrincipalName!) !== lc(mb.primarySmtpAddress) && lc(latest.userPrincipalName!) === lc(mb.userPrincipalName!))
        c.upnDiffersEnrolled++;
      const s = latest.complianceState;
      if (s === 'compliant') c.compliant++;
      else if (s === 'noncompliant') c.noncompliant++;
      else if (s === 'inGracePeriod') {
        if (Date.parse(latest.complianceGracePeriodExpirationDateTime!) > DEFAULT_NOW) c.graceActive++;
        else c.graceExpired++;
      } else c.unknownErrorConflict++;
    } else if (enrolled.length > 0) c.mappingConflict++;
    else if (d.deviceType === 'BlackBerry') c.blackBerry++;
    else if (d.deviceModel === RARE_MODEL) c.rareModel++;
    else if (recs.length > 0) c.notEnrolledEasRecordOnly++;
    else c.notEnrolledNoRecord++;
  }
  c.laptops = managed.filter((m) => m.easDeviceId === undefined).length;
  for (const m of mailboxes) {
    const upn = lc(m.userPrincipalName!);
    if (excl.has(upn)) {
      c.usersExcluded++;
      if (all.has(upn)) c.usersExcludedAndIncluded++;
    } else if (!all.has(upn)) c.usersUntargeted++;
    if (!m.activeSyncEnabled) c.activeSyncDisabled++;
    for (const id of [...m.allowedDeviceIds, ...m.blockedDeviceIds]) {
      if (ids.has(lc(id))) c.exemptionOwnDevice++;
      else c.exemptionStaleId++;
    }
  }
  return c;
}

// ------------------------------------------------------------------ generation
test('the same seed gives an identical organization; another seed a different one', async () => {
  const a = await snapshot(simulateOrganization({ devices: 500, seed: 42 }));
  const b = await snapshot(simulateOrganization({ devices: 500, seed: 42 }));
  const c = await snapshot(simulateOrganization({ devices: 500, seed: 43 }));
  assert.is(a, b);
  assert.is.not(a, c);
  assert.is(await snapshot(simulateOrganization({ devices: 300 })), await snapshot(simulateOrganization({ devices: 300, seed: 1 })));
});

test('the organization has exactly the requested number of partnerships', async () => {
  for (const n of [0, 1, 2, 199, 200, 1000, 4321]) {
    const sim = simulateOrganization({ devices: n, seed: n + 7 });
    const devices = right(await sim.exchange.getMobileDevices());
    assert.is(devices.length, n, `devices ${n}`);
    assert.is(new Set(devices.map((d) => lc(d.deviceId))).size, n, 'device ids are unique, case-insensitively');
    assert.is(sim.evaluateAll().size, n);
  }
});

test('users have one to three partnerships, mostly one', async () => {
  const sim = simulateOrganization({ devices: 3000, seed: 5 });
  const perMailbox = new Map<string, number>();
  for (const d of right(await sim.exchange.getMobileDevices())) {
    const m = mailboxIdentityOfDevice(d.identity)!;
    perMailbox.set(m, (perMailbox.get(m) ?? 0) + 1);
  }
  const counts = [...perMailbox.values()];
  assert.ok(counts.every((k) => k >= 1 && k <= 3));
  const one = counts.filter((k) => k === 1).length / counts.length;
  const three = counts.filter((k) => k === 3).length / counts.length;
  assert.ok(one > 0.6 && one < 0.8, `share with one device ${one}`);
  assert.ok(three > 0.01 && three < 0.1, `share with three devices ${three}`);
});

test('every category of the mix is present at 1,000 devices, in roughly the intended shares', async () => {
  const c = await census(simulateOrganization({ devices: 1000, seed: 11 }));
  for (const [k, v] of Object.entries(c)) assert.ok(v > 0, `category ${k} is missing`);
  const share = (k: number) => k / c.partnerships;
  assert.ok(share(c.compliant) > 0.5 && share(c.compliant) < 0.65, `compliant ${c.compliant}`);
  assert.ok(share(c.noncompliant) > 0.07 && share(c.noncompliant) < 0.13, `noncompliant ${c.noncompliant}`);
  assert.ok(
    share(c.notEnrolledNoRecord + c.notEnrolledEasRecordOnly) > 0.15 && share(c.notEnrolledNoRecord + c.notEnrolledEasRecordOnly) < 0.25,
  );
  assert.ok(share(c.blackBerry + c.rareModel) > 0.02 && share(c.blackBerry + c.rareModel) < 0.04);
  assert.ok(c.usersUntargeted / c.users > 0.03 && c.usersUntargeted / c.users < 0.07, `untargeted ${c.usersUntargeted}`);
  assert.ok(c.usersExcluded / c.users > 0.02 && c.usersExcluded / c.users < 0.04, `excluded ${c.usersExcluded}`);
});

test('every category is present from 200 devices on, whatever the seed', async () => {
  for (const seed of [1, 2, 3]) {
    const c = await census(simulateOrganization({ devices: 200, seed }));
    for (const [k, v] of Object.entries(c)) assert.ok(v > 0, `seed ${seed}: category ${k} is missing`);
  }
});

test('identities and DNs have Exchange shapes, and a device DN minus two components is its mailbox DN', async () => {
  const sim = simulateOrganization({ devices: 2000, seed: 3 });
  const mailboxes = right(await sim.exchange.getCasMailboxes());
  const byDn = new Map(mailboxes.map((m) => [m.distinguishedName!, m]));
  for (const m of mailboxes) {
    assert.ok(m.identity === `contoso.com/Users/${m.displayName}`, m.identity);
    assert.ok(m.distinguishedName === `CN=${escapeDnValue(m.displayName!)},OU=Users,DC=contoso,DC=com`, m.distinguishedName);
    assert.match(m.guid!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(m.emailAddresses.includes(`SMTP:${m.primarySmtpAddress}`));
    assert.ok(m.emailAddresses.some((a) => a.startsWith('SIP:')));
    assert.ok(m.userPrincipalName !== undefined);
  }
  assert.is(new Set(mailboxes.map((m) => lc(m.identity))).size, mailboxes.length, 'mailbox identities are unique');
  const comma = mailboxes.find((m) => m.displayName!.includes(','))!;
  assert.ok(comma, 'a name with a comma exists');
  assert.ok(comma.distinguishedName!.startsWith(`CN=${comma.displayName!.replace(',', '\\,')},`));
  assert.ok(
    mailboxes.some((m) => m.displayName!.includes("'")),
    'a name with an apostrophe exists',
  );
  assert.ok(
    mailboxes.some((m) => /[^\x00-\x7f]/.test(m.displayName!)),
    'a name with an accent exists',
  );
  for (const d of right(await sim.exchange.getMobileDevices())) {
    const mb = byDn.get(mailboxDnOfDevice(d.distinguishedName!)!);
    assert.ok(mb, `device ${d.deviceId} resolves to a mailbox by DN`);
    assert.is(d.identity, `${mb.identity}/ExchangeActiveSyncDevices/${d.deviceType}§${d.deviceId}`);
    assert.is(mailboxIdentityOfDevice(d.identity), mb.identity);
    assert.is(dnComponents(d.distinguishedName!)[0], `CN=${d.deviceType}§${d.deviceId}`);
    if (d.deviceType === 'iPhone' || d.deviceType === 'iPad') assert.match(d.deviceId, /^Appl[0-9A-Z]{12}$/);
    if (d.deviceType === 'Android') assert.match(d.deviceId, /^androidc\d+$/);
    assert.is(d.userDisplayName, mb.displayName);
  }
});

test('DN values escape , + " \\ < > ; = and a leading #', () => {
  assert.is(escapeDnValue('Smith, Jr.'), 'Smith\\, Jr.');
  assert.is(escapeDnValue('a+b"c\\d<e>f;g=h'), 'a\\+b\\"c\\\\d\\<e\\>f\\;g\\=h');
  assert.is(escapeDnValue('#1 fan'), '\\#1 fan');
  assert.is(escapeDnValue('no#escape'), 'no#escape');
  const sim = simulateOrganization({ devices: 0 });
  const m = sim.exchange.addMailbox({ displayName: '#Ops, Night+Day' });
  assert.is(m.distinguishedName, 'CN=\\#Ops\\, Night\\+Day,OU=Users,DC=contoso,DC=com');
  const d = sim.exchange.addPartnership({ mailbox: m.identity, deviceId: 'ApplAAAABBBBCCCC' });
  assert.is(mailboxDnOfDevice(d.distinguishedName!), m.distinguishedName);
});

test('users whose UPN differs from their primary SMTP address carry the UPN on their managed devices', async () => {
  const sim = simulateOrganization({ devices: 1000, seed: 2 });
  const mailboxes = right(await sim.exchange.getCasMailboxes());
  const differ = mailboxes.filter((m) => lc(m.userPrincipalName!) !== lc(m.primarySmtpAddress));
  assert.ok(differ.length > 0);
  for (const m of differ) {
    assert.match(m.userPrincipalName!, /^[a-z]\.[a-z]+\d*@corp\.contoso\.com$/);
    assert.not.ok(
      m.emailAddresses.some((a) => lc(a) === `smtp:${lc(m.userPrincipalName!)}`),
      'the UPN is not a proxy address',
    );
  }
  const upns = new Set(differ.map((m) => lc(m.userPrincipalName!)));
  assert.ok(right(await sim.intune.getManagedDevices()).some((md) => upns.has(lc(md.userPrincipalName ?? ''))));
});

test('the policy is a valid Policy targeting the tenant groups, and its model exception exists in the mix', async () => {
  const sim = simulateOrganization({ devices: 1000 });
  const parsed = parsePolicy(policyDocument(sim.policy));
  assert.ok(isRight(parsed));
  assert.equal(sim.policy.includedGroups, [sim.groups.allUsers]);
  assert.equal(sim.policy.excludedGroups, [sim.groups.excluded]);
  assert.is(sim.policy.defaultAccessLevel, 'quarantine');
  for (const p of ['{userDisplayName}', '{deviceType}', '{deviceModel}', '{reason}', '{enrollUrl}'])
    assert.ok(sim.policy.notification.bodyHtml.includes(p), p);
  const model = sim.policy.platformExceptions.find((e) => e.type === 'model')!;
  const devices = right(await sim.exchange.getMobileDevices());
  assert.ok(devices.some((d) => d.deviceModel === model.name));
  assert.ok(devices.some((d) => d.deviceType === 'BlackBerry'));
  assert.ok(new Set(Object.values(sim.groups)).size === 3);
});

test('a fresh organization: DefaultAccessLevel Allow and one admin-made rule unrelated to the policy', async () => {
  const sim = simulateOrganization({ devices: 100 });
  const org = right(await sim.exchange.getOrgSettings());
  assert.equal(org, { defaultAccessLevel: 'Allow', userMailInsert: '', adminMailRecipients: [] });
  assert.equal(right(await sim.exchange.getDeviceAccessRules()), [
    { name: 'iOS 9.3.5 13G36 (DeviceOS)', characteristic: 'DeviceOS', queryString: 'iOS 9.3.5 13G36', accessLevel: 'Block' },
  ]);
  const servers = right(await sim.exchange.getExchangeServers());
  assert.equal(
    servers.filter((s) => s.isClientAccessServer).map((s) => s.fqdn),
    ['cas01.contoso.com', 'cas02.contoso.com'],
  );
  assert.ok(servers.some((s) => !s.isClientAccessServer));
});

// ------------------------------------------------------------------ reads
test('Get-CasMailbox returns only mailboxes with a partnership, or the ones named', async () => {
  const sim = simulateOrganization({ devices: 300, seed: 9 });
  const lonely = sim.exchange.addMailbox({ displayName: 'No Phone' });
  const withDevices = right(await sim.exchange.getCasMailboxes());
  const owners = new Set(right(await sim.exchange.getMobileDevices()).map((d) => mailboxIdentityOfDevice(d.identity)!));
  assert.equal(new Set(withDevices.map((m) => m.identity)), owners);
  assert.not.ok(withDevices.some((m) => m.identity === lonely.identity));
  const named = right(
    await sim.exchange.getCasMailboxes({ identities: [lonely.identity, withDevices[0]!.identity, 'contoso.com/Users/Nobody'] }),
  );
  assert.equal(
    named.map((m) => m.identity),
    [lonely.identity, withDevices[0]!.identity],
  );
  // a mailbox whose partnerships are all removed drops out
  const victim = withDevices[1]!;
  for (const d of right(await sim.exchange.getMobileDevices()))
    if (mailboxIdentityOfDevice(d.identity) === victim.identity) sim.exchange.removePartnership(d.deviceId);
  assert.not.ok(right(await sim.exchange.getCasMailboxes()).some((m) => m.identity === victim.identity));
});

test('Get-MobileDevice with FirstSyncTime filter returns only newer partnerships', async () => {
  let now = DEFAULT_NOW;
  const sim = simulateOrganization({ devices: 300, clock: () => now });
  const all = right(await sim.exchange.getMobileDevices());
  assert.ok(all.every((d) => Date.parse(d.firstSyncTime!) < DEFAULT_NOW));
  assert.equal(right(await sim.exchange.getMobileDevices({ firstSyncAfter: iso(DEFAULT_NOW) })), []);
  const median = all.map((d) => d.firstSyncTime!).sort()[150]!;
  assert.ok(right(await sim.exchange.getMobileDevices({ firstSyncAfter: median })).every((d) => d.firstSyncTime! > median));
  now += 60_000;
  const mb = right(await sim.exchange.getCasMailboxes())[0]!;
  const added = sim.exchange.addPartnership({
    mailbox: mb.identity,
    deviceType: 'Android',
    deviceModel: 'Pixel 9',
    deviceId: 'androidc9999999999',
  });
  assert.is(added.firstSyncTime, iso(now));
  assert.equal(
    right(await sim.exchange.getMobileDevices({ firstSyncAfter: iso(DEFAULT_NOW) })).map((d) => d.deviceId),
    ['androidc9999999999'],
  );
  assert.ok(isLeft(await sim.exchange.getMobileDevices({ firstSyncAfter: 'yesterday-ish' })));
});

test('returned records are copies: mutating them does not change the organization', async () => {
  const sim = simulateOrganization({ devices: 50 });
  const before = await snapshot(sim);
  const devices = right(await sim.exchange.getMobileDevices()) as { deviceId: string }[];
  devices[0]!.deviceId = 'HACKED';
  const mailboxes = right(await sim.exchange.getCasMailboxes());
  (mailboxes[0]!.allowedDeviceIds as string[]).push('HACKED');
  (mailboxes[0]!.emailAddresses as string[]).length = 0;
  (right(await sim.exchange.getOrgSettings()) as { defaultAccessLevel: string }).defaultAccessLevel = 'Block';
  (right(await sim.exchange.getDeviceAccessRules())[0] as { accessLevel: string }).accessLevel = 'Allow';
  (right(await sim.intune.getManagedDevices())[0] as { complianceState: string }).complianceState = 'compliant';
  (right(await sim.intune.getGroupMembers([sim.groups.allUsers])).get(sim.groups.allUsers) as Set<string>).clear();
  (sim.exchange.state().mailboxes[0]!.blockedDeviceIds as string[]).push('HACKED');
  (sim.intune.devices()[0] as { easDeviceId?: string }).easDeviceId = 'HACKED';
  assert.is(await snapshot(sim), before);
  // a command object changed after it ran does not rewrite history
  const cmd = setCas(mailboxes[1]!.identity, { add: ['X1'] });
  right(await sim.exchange.execute(cmd));
  (cmd.allowedDeviceIds.add as string[]).push('X2');
  assert.equal((sim.exchange.commandLog[0] as SetCasMailbox).allowedDeviceIds.add, ['X1']);
});

// ------------------------------------------------------------------ commands
test('Set-CasMailbox applies Remove then Add, case-insensitively and idempotently, leaving other entries alone', async () => {
  const sim = simulateOrganization({ devices: 0 });
  const m = sim.exchange.addMailbox({ displayName: 'Kim Akers' });
  sim.exchange.setMailboxLists(m.identity, { allowed: ['ADMIN1', 'dev-a'], blocked: ['OLD9'] });
  right(
    await sim.exchange.execute(
      setCas(m.identity, { add: ['DEV-A', 'dev-b', 'DEV-B'], remove: ['absent'] }, { add: ['dev-c'], remove: ['old9'] }),
    ),
  );
  let now = sim.exchange.mailbox(m.identity)!;
  assert.equal(now.allowedDeviceIds, ['ADMIN1', 'dev-a', 'dev-b']);
  assert.equal(now.blockedDeviceIds, ['dev-c']);
  // the same command again changes nothing
  right(await sim.exchange.execute(setCas(m.identity, { add: ['DEV-A', 'dev-b'] }, { add: ['DEV-C'] })));
  assert.equal(sim.exchange.mailbox(m.identity)!.allowedDeviceIds, ['ADMIN1', 'dev-a', 'dev-b']);
  // Remove then Add: an id in both ends up present; the untouched admin entry stays
  right(await sim.exchange.execute(setCas(m.identity, { add: ['dev-a'], remove: ['DEV-A', 'dev-b'] })));
  now = sim.exchange.mailbox(m.identity)!;
  assert.equal(now.allowedDeviceIds, ['ADMIN1', 'dev-a']);
  // by DN, SMTP address and backslash identity too
  right(await sim.exchange.execute(setCas(m.distinguishedName!, { add: ['by-dn'] })));
  right(await sim.exchange.execute(setCas(m.primarySmtpAddress, { add: ['by-smtp'] })));
  right(await sim.exchange.execute(setCas(m.identity.replace(/\//g, '\\'), { add: ['by-backslash'] })));
  assert.equal(sim.exchange.mailbox(m.identity)!.allowedDeviceIds, ['ADMIN1', 'dev-a', 'by-dn', 'by-smtp', 'by-backslash']);
  assert.is(sim.exchange.commandLog.length, 6);
});

test('Set-CasMailbox on a missing mailbox is notFound and changes nothing', async () => {
  const sim = simulateOrganization({ devices: 20 });
  const before = await snapshot(sim);
  const err = leftOf(await sim.exchange.execute(setCas('contoso.com/Users/Ghost', { add: ['x'] })));
  assert.is(err.kind, 'notFound');
  assert.is(await snapshot(sim), before);
  assert.is(sim.counters.commands, 1);
  assert.is(sim.counters.byCmdlet['Set-CasMailbox'], 1);
  assert.equal(sim.exchange.commandLog, []);
});

test('Set-ActiveSyncOrganizationSettings sets only the given fields and refuses a UserMailInsert over 256 characters', async () => {
  const sim = simulateOrganization({ devices: 10 });
  right(await sim.exchange.execute({ kind: 'setOrgSettings', defaultAccessLevel: 'Quarantine' }));
  assert.equal(right(await sim.exchange.getOrgSettings()), {
    defaultAccessLevel: 'Quarantine',
    userMailInsert: '',
    adminMailRecipients: [],
  });
  right(await sim.exchange.execute({ kind: 'setOrgSettings', adminMailRecipients: ['it@contoso.com'], userMailInsert: 'x'.repeat(256) }));
  assert.equal(right(await sim.exchange.getOrgSettings()), {
    defaultAccessLevel: 'Quarantine',
    userMailInsert: 'x'.repeat(256),
    adminMailRecipients: ['it@contoso.com'],
  });
  const err = leftOf(await sim.exchange.execute({ kind: 'setOrgSettings', userMailInsert: 'y'.repeat(257), defaultAccessLevel: 'Block' }));
  assert.is(err.kind, 'other');
  assert.is(right(await sim.exchange.getOrgSettings()).defaultAccessLevel, 'Quarantine', 'a refused command applies nothing');
});

test('device access rule commands: Exchange names, duplicates refused, missing rules notFound', async () => {
  const sim = simulateOrganization({ devices: 10 });
  right(
    await sim.exchange.execute({
      kind: 'newDeviceAccessRule',
      characteristic: 'DeviceType',
      queryString: 'BlackBerry',
      accessLevel: 'Allow',
    }),
  );
  assert.is(
    leftOf(
      await sim.exchange.execute({
        kind: 'newDeviceAccessRule',
        characteristic: 'DeviceType',
        queryString: 'blackberry',
        accessLevel: 'Block',
      }),
    ).kind,
    'other',
  );
  right(await sim.exchange.execute({ kind: 'setDeviceAccessRule', name: 'BlackBerry (DeviceType)', accessLevel: 'Block' }));
  right(await sim.exchange.execute({ kind: 'removeDeviceAccessRule', name: 'iOS 9.3.5 13G36 (DeviceOS)' }));
  assert.equal(right(await sim.exchange.getDeviceAccessRules()), [
    { name: 'BlackBerry (DeviceType)', characteristic: 'DeviceType', queryString: 'BlackBerry', accessLevel: 'Block' },
  ]);
  assert.is(leftOf(await sim.exchange.execute({ kind: 'removeDeviceAccessRule', name: 'Nope (DeviceModel)' })).kind, 'notFound');
  assert.is(
    leftOf(await sim.exchange.execute({ kind: 'setDeviceAccessRule', name: 'Nope (DeviceModel)', accessLevel: 'Allow' })).kind,
    'notFound',
  );
  assert.equal(
    sim.exchange.commandLog.map((c) => c.kind),
    ['newDeviceAccessRule', 'setDeviceAccessRule', 'removeDeviceAccessRule'],
  );
});

test('counters count every call by cmdlet; commands counts only execute calls', async () => {
  const sim = simulateOrganization({ devices: 10 });
  await sim.exchange.getMobileDevices();
  await sim.exchange.getCasMailboxes();
  await sim.exchange.getOrgSettings();
  await sim.exchange.getDeviceAccessRules();
  await sim.exchange.getExchangeServers();
  await sim.exchange.execute({ kind: 'setOrgSettings', defaultAccessLevel: 'Quarantine' });
  await sim.exchange.execute({ kind: 'removeDeviceAccessRule', name: 'missing' });
  assert.is(sim.counters.reads, 5);
  assert.is(sim.counters.commands, 2);
  assert.is(sim.counters.byCmdlet['Get-MobileDevice'], 1);
  assert.is(sim.counters.byCmdlet['Get-ExchangeServer'], 1);
  assert.is(sim.counters.byCmdlet['Set-ActiveSyncOrganizationSettings'], 1);
  assert.is(sim.counters.byCmdlet['Remove-ActiveSyncDeviceAccessRule'], 1);
  assert.is(sim.counters.byCmdlet['Set-CasMailbox'], 0);
});

// ------------------------------------------------------------------ Exchange's evaluation
test('evaluateAll follows evaluateExchange for every partnership', async () => {
  const sim = simulateOrganization({ devices: 2000, seed: 4 });
  right(
    await sim.exchange.execute({
      kind: 'newDeviceAccessRule',
      characteristic: 'DeviceType',
      queryString: 'Outlook',
      accessLevel: 'Quarantine',
    }),
  );
  right(await sim.exchange.execute({ kind: 'setOrgSettings', defaultAccessLevel: 'Block' }));
  const st = sim.exchange.state();
  const byIdentity = new Map(st.mailboxes.map((m) => [m.identity, m]));
  const ev = sim.evaluateAll();
  const reasons = new Set<string>();
  for (const d of st.devices) {
    const mb = byIdentity.get(mailboxIdentityOfDevice(d.identity)!)!;
    const expected = evaluateExchange(d, mb, st.orgSettings, st.rules, st.stickyBlocks.get(lc(d.deviceId)));
    const got = ev.get(lc(d.deviceId))!;
    assert.equal(got, { access: expected.access, reason: expected.reason, mailbox: mb.identity }, d.deviceId);
    reasons.add(got.reason);
  }
  assert.equal([...reasons].sort(), ['activeSyncDisabled', 'deviceRule', 'global', 'individual']);
});

test('evaluation order: ActiveSync disabled, blocked list, allowed list, rules Block>Quarantine>Allow, org default', async () => {
  const sim = simulateOrganization({ devices: 0 });
  const x = sim.exchange;
  const m = x.addMailbox({ displayName: 'Eval User' });
  const add = (id: string, deviceType: string, deviceModel: string) =>
    x.addPartnership({ mailbox: m.identity, deviceId: id, deviceType, deviceModel, deviceOS: 'OS 1' });
  add('A', 'T', 'M');
  add('B', 'T', 'M');
  add('C', 'TypeX', 'ModelX');
  add('D', 'TypeX', 'ModelQ');
  add('E', 'TypeX', 'Other');
  add('F', 'Plain', 'Plain');
  x.setMailboxLists(m.identity, { allowed: ['a', 'B'], blocked: ['b'] });
  x.setRules([
    { characteristic: 'DeviceModel', queryString: 'modelq', accessLevel: 'Quarantine' },
    { characteristic: 'DeviceType', queryString: 'TypeX', accessLevel: 'Allow' },
    { characteristic: 'DeviceModel', queryString: 'ModelX', accessLevel: 'Block' },
  ]);
  right(await x.execute({ kind: 'setOrgSettings', defaultAccessLevel: 'Quarantine' }));
  const ev = (id: string) => {
    const e = sim.evaluateAll().get(lc(id))!;
    return `${e.access}/${e.reason}`;
  };
  assert.is(ev('A'), 'allow/individual');
  assert.is(ev('B'), 'block/individual', 'the blocked list beats the allowed list');
  assert.is(ev('C'), 'block/deviceRule', 'Block beats Allow');
  assert.is(ev('D'), 'quarantine/deviceRule', 'Quarantine beats Allow (case-insensitive match)');
  assert.is(ev('E'), 'allow/deviceRule');
  assert.is(ev('F'), 'quarantine/global', 'the org default comes last');
  assert.is(sim.evaluateAll().get('a')!.mailbox, m.identity);
  x.setActiveSyncEnabled(m.identity, false);
  for (const id of ['A', 'B', 'C', 'D', 'E', 'F']) assert.is(ev(id), 'block/activeSyncDisabled');
});

test('a Block rule stays sticky after the device characteristic changes; a Quarantine rule does not', async () => {
  const sim = simulateOrganization({ devices: 0 });
  const x = sim.exchange;
  const m = x.addMailbox({ displayName: 'Sticky User' });
  x.addPartnership({ mailbox: m.identity, deviceId: 'ApplOLDIOS000001', deviceOS: 'iOS 9.3.5 13G36' });
  x.addPartnership({ mailbox: m.identity, deviceId: 'ApplQUAR00000001', deviceModel: 'iPhone4C1' });
  right(
    await x.execute({ kind: 'newDeviceAccessRule', characteristic: 'DeviceModel', queryString: 'iPhone4C1', accessLevel: 'Quarantine' }),
  );
  const ev = (id: string) => x.evaluate(id)!;
  assert.is(ev('ApplOLDIOS000001').access, 'block');
  assert.is(ev('ApplQUAR00000001').access, 'quarantine');
  x.updatePartnership('ApplOLDIOS000001', { deviceOS: 'iOS 18.1 22B83' });
  x.updatePartnership('ApplQUAR00000001', { deviceModel: 'iPhone17C1' });
  assert.equal(
    { ...ev('ApplOLDIOS000001') },
    { access: 'block', reason: 'deviceRule', rule: 'iOS 9.3.5 13G36 (DeviceOS)', mailbox: m.identity },
  );
  assert.is(ev('ApplQUAR00000001').access, 'allow', 'quarantine is re-evaluated: the org default (Allow) applies');
  assert.is(sim.evaluateAll().get('apploldios000001')!.access, 'block');
  // an allowed-list entry still wins over the sticky block
  x.setMailboxLists(m.identity, { allowed: ['ApplOLDIOS000001'] });
  assert.is(ev('ApplOLDIOS000001').access, 'allow');
  x.setMailboxLists(m.identity, { allowed: [] });
  assert.is(ev('ApplOLDIOS000001').access, 'block');
  // removing the partnership ends it: the same device syncing again is evaluated afresh
  x.removePartnership('ApplOLDIOS000001');
  x.addPartnership({ mailbox: m.identity, deviceId: 'ApplOLDIOS000001', deviceOS: 'iOS 18.1 22B83' });
  assert.is(ev('ApplOLDIOS000001').access, 'allow');
});

test('removing the Block rule lifts its sticky blocks', async () => {
  const sim = simulateOrganization({ devices: 0 });
  const x = sim.exchange;
  const m = x.addMailbox({ displayName: 'Rule User' });
  x.addPartnership({ mailbox: m.identity, deviceId: 'ApplOLDIOS000002', deviceOS: 'iOS 9.3.5 13G36' });
  x.updatePartnership('ApplOLDIOS000002', { deviceOS: 'iOS 18.1 22B83' });
  assert.is(x.evaluate('ApplOLDIOS000002')!.access, 'block');
  right(await x.execute({ kind: 'removeDeviceAccessRule', name: 'iOS 9.3.5 13G36 (DeviceOS)' }));
  assert.is(x.evaluate('ApplOLDIOS000002')!.access, 'allow');
  assert.is(x.state().stickyBlocks.size, 0);
});

// ------------------------------------------------------------------ latency, concurrency, failures
test('the runspace limit yields the throttled error and maxConcurrent never exceeds it', async () => {
  const sim = simulateOrganization({ devices: 20, latencyMs: 15, runspaces: 3 });
  const results = await Promise.all(Array.from({ length: 8 }, () => sim.exchange.getOrgSettings()));
  const throttled = results.filter(isLeft).map((r) => r.left);
  assert.is(results.filter(isRight).length, 3);
  assert.is(throttled.length, 5);
  for (const e of throttled) {
    assert.is(e.kind, 'throttled');
    if (e.kind === 'throttled') assert.is(e.waitMs, 1000);
    assert.match(e.message, 'maximum number of 3 concurrent shells');
  }
  assert.is(sim.counters.maxConcurrent, 3);
  assert.is(sim.counters.throttled, 5);
  assert.is(sim.counters.byCmdlet['Get-ActiveSyncOrganizationSettings'], 8);
  // a client that keeps within the limit is never throttled
  const m = right(await sim.exchange.getCasMailboxes())[0]!;
  for (let b = 0; b < 4; b++) {
    const rs = await Promise.all(Array.from({ length: 3 }, (_, i) => sim.exchange.execute(setCas(m.identity, { add: [`id-${b}-${i}`] }))));
    assert.ok(rs.every(isRight));
  }
  assert.is(sim.counters.maxConcurrent, 3);
  assert.is(sim.exchange.inFlight, 0);
});

test('default limit is 18 concurrent shells', async () => {
  const sim = simulateOrganization({ devices: 5, latencyMs: 5 });
  const results = await Promise.all(Array.from({ length: 20 }, () => sim.exchange.getDeviceAccessRules()));
  assert.is(results.filter(isRight).length, 18);
  assert.match(results.filter(isLeft)[0]!.left.message, 'maximum number of 18 concurrent shells');
});

test('latency is applied per cmdlet', async () => {
  const sim = simulateOrganization({ devices: 10, latencyMs: { 'Set-ActiveSyncOrganizationSettings': 8, 'Get-MobileDevice': 5 } });
  let t = performance.now();
  right(await sim.exchange.execute({ kind: 'setOrgSettings', userMailInsert: 'hi' }));
  assert.ok(performance.now() - t >= 6, `elapsed ${performance.now() - t}`);
  t = performance.now();
  right(await sim.exchange.getMobileDevices());
  assert.ok(performance.now() - t >= 4);
  const all = simulateOrganization({ devices: 10, latencyMs: 5 });
  t = performance.now();
  right(await all.exchange.getExchangeServers());
  assert.ok(performance.now() - t >= 4);
});

test('zero latency needs no timer: many commands run quickly', async () => {
  const sim = simulateOrganization({ devices: 0 });
  const m = sim.exchange.addMailbox({ displayName: 'Busy User' });
  for (let i = 0; i < 20_000; i++) right(await sim.exchange.execute(setCas(m.identity, { add: [`d${i % 50}`] })));
  assert.is(sim.counters.commands, 20_000);
  assert.is(sim.counters.maxConcurrent, 1);
  assert.is(sim.exchange.mailbox(m.identity)!.allowedDeviceIds.length, 50);
});

test('Exchange failNext fails the next n calls, optionally one cmdlet only or after applying', async () => {
  const sim = simulateOrganization({ devices: 20 });
  const x = sim.exchange;
  x.failNext(2, { kind: 'connectionLost', message: 'The WinRM client cannot complete the operation', server: 'cas01.contoso.com' });
  assert.is(leftOf(await x.getOrgSettings()).kind, 'connectionLost');
  assert.is(leftOf(await x.getMobileDevices()).kind, 'connectionLost');
  assert.ok(isRight(await x.getMobileDevices()));
  const m = right(await x.getCasMailboxes())[0]!;
  x.failNext(1, { kind: 'accessDenied', message: 'denied' }, { cmdlet: 'Set-CasMailbox' });
  assert.ok(isRight(await x.getOrgSettings()), 'other cmdlets are not affected');
  assert.is(leftOf(await x.execute(setCas(m.identity, { add: ['never'] }))).kind, 'accessDenied');
  assert.not.ok(x.mailbox(m.identity)!.allowedDeviceIds.includes('never'));
  x.failNext(1, { kind: 'connectionLost', message: 'response lost' }, { cmdlet: 'Set-CasMailbox', applied: true });
  assert.is(leftOf(await x.execute(setCas(m.identity, { add: ['applied-anyway'] }))).kind, 'connectionLost');
  assert.ok(x.mailbox(m.identity)!.allowedDeviceIds.includes('applied-anyway'), 'applied although the caller saw an error');
  assert.ok(isRight(await x.execute(setCas(m.identity, { add: ['ok'] }))));
  assert.is(sim.counters.failed, 4);
});

// ------------------------------------------------------------------ Intune
test('Intune: groups as lower-cased UPNs, unknown group is an error, exclusion overlaps inclusion', async () => {
  const sim = simulateOrganization({ devices: 1000 });
  const g = right(await sim.intune.getGroupMembers([sim.groups.allUsers, sim.groups.excluded, sim.groups.pilot]));
  for (const set of g.values()) for (const upn of set) assert.is(upn, lc(upn));
  const excl = g.get(sim.groups.excluded)!;
  assert.ok(
    [...excl].some((u) => g.get(sim.groups.allUsers)!.has(u)),
    'some excluded users are also included',
  );
  assert.ok([...excl].some((u) => !g.get(sim.groups.allUsers)!.has(u)));
  assert.ok(g.get(sim.groups.pilot)!.size > 0);
  const err = leftOf(await sim.intune.getGroupMembers([sim.groups.allUsers, 'no-such-group']));
  assert.is(err.kind, 'other');
  assert.match(err.message, /group no-such-group not found/);
  sim.intune.setGroupMembers(sim.groups.pilot, ['Kim.Akers@Contoso.com']);
  assert.equal([...right(await sim.intune.getGroupMembers([sim.groups.pilot])).get(sim.groups.pilot)!], ['kim.akers@contoso.com']);
});

test('Intune: eas-agent records, devices without EAS id, case-variant EAS ids are all present', async () => {
  const sim = simulateOrganization({ devices: 1000 });
  const managed = right(await sim.intune.getManagedDevices());
  const ids = new Set(right(await sim.exchange.getMobileDevices()).map((d) => d.deviceId));
  assert.ok(managed.some((m) => m.managementAgent === 'eas'));
  assert.ok(managed.some((m) => m.managementAgent === 'easMdm'));
  assert.ok(managed.some((m) => m.managementAgent === 'mdm'));
  assert.ok(managed.some((m) => m.easDeviceId === undefined));
  assert.ok(
    managed.some((m) => m.easDeviceId !== undefined && !ids.has(m.easDeviceId) && [...ids].some((i) => lc(i) === lc(m.easDeviceId!))),
  );
  assert.ok(managed.every((m) => /^[0-9a-f-]{36}$/.test(m.id)));
});

test('Intune: changedSince, setCompliance, enroll, unenroll and failNext', async () => {
  let now = DEFAULT_NOW;
  const sim = simulateOrganization({ devices: 200, clock: () => now });
  const i = sim.intune;
  assert.equal(right(await i.getManagedDevices({ changedSince: iso(DEFAULT_NOW) })), []);
  const target = i.devices().find((d) => d.complianceState === 'compliant' && d.easDeviceId)!;
  now += 5 * 60_000;
  i.setCompliance(target.id, 'inGracePeriod', iso(now + 86_400_000));
  const changed = right(await i.getManagedDevices({ changedSince: iso(DEFAULT_NOW) }));
  assert.equal(
    changed.map((d) => d.id),
    [target.id],
  );
  assert.is(changed[0]!.complianceState, 'inGracePeriod');
  assert.is(changed[0]!.complianceGracePeriodExpirationDateTime, iso(now + 86_400_000));
  const mb = right(await sim.exchange.getCasMailboxes())[0]!;
  const fresh = i.enroll({ userPrincipalName: mb.userPrincipalName!, easDeviceId: 'ApplNEWNEWNEW001' });
  assert.is(fresh.managementAgent, 'mdm');
  assert.is(fresh.complianceState, 'compliant');
  assert.is(right(await i.getManagedDevices({ changedSince: iso(DEFAULT_NOW) })).length, 2);
  assert.ok(i.unenroll(fresh.id));
  assert.not.ok(i.devices().some((d) => d.id === fresh.id));
  i.failNext(1, { kind: 'throttled', message: 'Too many requests', retryAfterMs: 2000 });
  assert.is(leftOf(await i.getManagedDevices()).kind, 'throttled');
  assert.ok(isRight(await i.getManagedDevices()));
});

// ------------------------------------------------------------------ notifier
test('the notifier records what it sends and fails on demand', async () => {
  const sim = simulateOrganization({ devices: 0 });
  const n = { to: 'kim@contoso.com', subject: 's', html: '<p>h</p>', deviceId: 'ApplX', mailbox: 'contoso.com/Users/Kim' };
  assert.ok(isRight(await sim.notifier.send(n)));
  sim.notifier.failNext(2);
  assert.is(leftOf(await sim.notifier.send({ ...n, deviceId: 'B' })).kind, 'sendFailed');
  assert.is(leftOf(await sim.notifier.send({ ...n, deviceId: 'C' })).kind, 'sendFailed');
  assert.ok(isRight(await sim.notifier.send({ ...n, deviceId: 'D' })));
  assert.equal(
    sim.notifier.sent.map((s) => s.deviceId),
    ['ApplX', 'D'],
  );
  assert.is(sim.notifier.attempts, 4);
});

// ------------------------------------------------------------------ scale
test('generating 100,000 partnerships completes', async () => {
  const sim = simulateOrganization({ devices: 100_000, seed: 100 });
  const devices = right(await sim.exchange.getMobileDevices());
  assert.is(devices.length, 100_000);
  assert.is(sim.evaluateAll().size, 100_000);
});

test('sessions count against the concurrent-shell limit and are freed when closed', async () => {
  const sim = simulateOrganization({ devices: 20, seed: 2, runspaces: 2 });
  const a = await sim.exchange.openSession();
  const b = await sim.exchange.openSession();
  assert.ok(isRight(a) && isRight(b));
  const c = await sim.exchange.openSession();
  assert.ok(isLeft(c) && c.left.kind === 'throttled' && /maximum number of 2 concurrent shells/.test(c.left.message));
  if (isRight(a)) await a.right.close();
  assert.ok(isRight(await sim.exchange.openSession()));
  assert.is(sim.counters.maxOpenSessions, 2);
});

test('a shell breaks after its command limit', async () => {
  const sim = simulateOrganization({ devices: 20, seed: 2, commandsPerShell: 2 });
  const s = await sim.exchange.openSession();
  assert.ok(isRight(s));
  if (!isRight(s)) return;
  const mb = sim.exchange.state().mailboxes[0]!.identity;
  const cmd = {
    kind: 'setCasMailbox' as const,
    mailbox: mb,
    allowedDeviceIds: { add: ['x1'], remove: [] },
    blockedDeviceIds: { add: [], remove: [] },
  };
  assert.ok(isRight(await s.right.execute(cmd)));
  assert.ok(isRight(await s.right.execute(cmd)));
  const third = await s.right.execute(cmd);
  assert.ok(isLeft(third) && third.left.kind === 'sessionBroken');
  assert.is(sim.counters.sessionsBroken, 1);
});

test('a CAS that is down fails calls and sessions with connectionLost; switching to another answers', async () => {
  const sim = simulateOrganization({ devices: 20, seed: 2 });
  sim.exchange.setServerUp('cas01.contoso.com', false);
  const r = await sim.exchange.getOrgSettings();
  assert.ok(isLeft(r) && r.left.kind === 'connectionLost');
  assert.ok(isLeft(await sim.exchange.switchServer('cas01.contoso.com')));
  assert.ok(isRight(await sim.exchange.switchServer('cas02.contoso.com')));
  assert.is(sim.exchange.currentServer(), 'cas02.contoso.com');
  assert.ok(isRight(await sim.exchange.getOrgSettings()));
});

test('the user load quota refuses calls past it and names the wait', async () => {
  let now = 1_000_000;
  const sim = simulateOrganization({ devices: 20, seed: 2, quota: { requests: 3, perMs: 1000 }, clock: () => now });
  for (let i = 0; i < 3; i++) assert.ok(isRight(await sim.exchange.getOrgSettings()));
  now += 400;
  const r = await sim.exchange.getOrgSettings();
  assert.ok(isLeft(r) && r.left.kind === 'throttled' && r.left.waitMs === 600);
  assert.match(
    (r as { left: { message: string } }).left.message,
    /user load quota of 3 requests per 1 seconds .* at least 600 milliseconds/,
  );
  now += 600;
  assert.ok(isRight(await sim.exchange.getOrgSettings()));
});

test.run();
