// Behaviour every ExchangeGateway must share (the simulator, the PowerShell
// gateway...). Each test gets a fresh organization from `make` (at least a dozen
// partnerships over several mailboxes, one device access rule or none) and closes it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError, ExchangeGateway } from '../src/ports.js';
import type { CasMailbox } from '../src/facts.js';

export interface GatewayFixture {
  readonly gateway: ExchangeGateway;
  close(): Promise<void>;
}

function ok<A>(e: Either<ExchangeError, A>, what: string): A {
  if (isLeft(e))
    throw new assert.Assertion({
      message: `${what} failed: ${JSON.stringify(e.left)}`,
      generated: false,
      operator: 'ok',
      expects: 'Right',
      actual: e.left,
    });
  return e.right;
}

function err<A>(e: Either<ExchangeError, A>, what: string): ExchangeError {
  if (isRight(e))
    throw new assert.Assertion({
      message: `${what} should have failed, got ${JSON.stringify(e.right)}`,
      generated: false,
      operator: 'err',
      expects: 'Left',
      actual: e.right,
    });
  return e.left;
}

const lc = (s: string) => s.toLowerCase();
const mailboxOfDevice = (identity: string) => identity.split(/[/\\]ExchangeActiveSyncDevices[/\\]/)[0]!;

/** Values that must travel as data: quotes of every kind, subexpressions, backticks, separators, newlines, Unicode. */
export const HOSTILE_VALUES: readonly string[] = [
  "O'Brien",
  'a\u2018b\u2019c\u201Ad\u201Be',
  'double"quote',
  '$(Remove-Mailbox -Identity * -Confirm:$false)',
  '`$env:USERNAME`',
  'semi;colon; Remove-Mailbox x',
  'new\nline\r\nand\ttab',
  "@{Add='x'}",
  '${x}',
  '#comment',
  'emoji \u{1F4F1} and § and \u00E9',
  '\\back\\slash\\',
  '<tag>&amp;',
  '--% stop parsing',
  "''",
  '\u0000nul',
];

export function gatewayConformance(name: string, make: () => Promise<GatewayFixture>): void {
  const s = suite(name);
  const withGateway = (fn: (g: ExchangeGateway) => Promise<void>) => async () => {
    const f = await make();
    try {
      await fn(f.gateway);
    } finally {
      await f.close();
    }
  };
  const mailboxes = async (g: ExchangeGateway, identities?: string[]) =>
    ok(await g.getCasMailboxes(identities ? { identities } : undefined), 'getCasMailboxes');
  const one = async (g: ExchangeGateway, identity: string): Promise<CasMailbox> => {
    const [m] = await mailboxes(g, [identity]);
    assert.ok(m, `mailbox ${identity} is found`);
    return m;
  };

  s(
    'lists every partnership with its identity, DeviceId and type; each belongs to a listed mailbox',
    withGateway(async (g) => {
      const devices = ok(await g.getMobileDevices(), 'getMobileDevices');
      assert.ok(devices.length >= 12, `at least 12 partnerships, got ${devices.length}`);
      const ids = new Set<string>();
      for (const d of devices) {
        assert.type(d.identity, 'string');
        assert.ok(d.deviceId.length > 0 && d.deviceType.length > 0, `device ${d.identity} has an id and a type`);
        assert.ok(!ids.has(lc(d.deviceId)), `DeviceId ${d.deviceId} is listed once`);
        ids.add(lc(d.deviceId));
        if (d.firstSyncTime !== undefined) assert.is(new Date(d.firstSyncTime).toISOString(), d.firstSyncTime, 'dates are ISO UTC');
      }
      const known = new Set((await mailboxes(g)).map((m) => lc(m.identity).replace(/\\/g, '/')));
      for (const d of devices)
        assert.ok(known.has(lc(mailboxOfDevice(d.identity)).replace(/\\/g, '/')), `the mailbox of ${d.identity} is listed`);
    }),
  );

  s(
    'lists the CAS mailboxes with partnerships: addresses, lists, UPN',
    withGateway(async (g) => {
      const all = await mailboxes(g);
      assert.ok(all.length >= 3, 'several mailboxes');
      for (const m of all) {
        assert.ok(m.primarySmtpAddress.includes('@'), `${m.identity} has a primary SMTP address`);
        assert.ok(Array.isArray(m.emailAddresses) && Array.isArray(m.allowedDeviceIds) && Array.isArray(m.blockedDeviceIds));
        assert.type(m.activeSyncEnabled, 'boolean');
      }
      assert.ok(
        all.some((m) => m.userPrincipalName !== undefined),
        'UPNs are known',
      );
      const identities = all.map((m) => lc(m.identity));
      assert.is(new Set(identities).size, identities.length, 'each mailbox once');
    }),
  );

  s(
    'getCasMailboxes by identity: the ones found, once each, missing ones skipped',
    withGateway(async (g) => {
      const all = await mailboxes(g);
      const [a, b] = [all[0]!, all[1]!];
      const got = await mailboxes(g, [a.identity, 'contoso.com/Users/Nobody Here', b.identity, a.identity]);
      assert.equal(
        got.map((m) => m.identity),
        [a.identity, b.identity],
      );
      assert.equal(got[0], a, 'the same record as in the full list');
      assert.equal(await mailboxes(g, []), []);
    }),
  );

  s(
    'setCasMailbox adds and removes (case-insensitively, no duplicates) and leaves other entries alone',
    withGateway(async (g) => {
      const target = (await mailboxes(g))[0]!;
      ok(
        await g.execute({
          kind: 'setCasMailbox',
          mailbox: target.identity,
          allowedDeviceIds: { add: ['ConfA1'], remove: [] },
          blockedDeviceIds: { add: [], remove: [] },
        }),
        'seed an entry',
      );
      ok(
        await g.execute({
          kind: 'setCasMailbox',
          mailbox: target.identity,
          allowedDeviceIds: { add: ['ConfA2', 'ConfA3'], remove: [] },
          blockedDeviceIds: { add: ['ConfB1'], remove: [] },
        }),
        'setCasMailbox',
      );
      let m = await one(g, target.identity);
      assert.equal(
        m.allowedDeviceIds.filter((x) => x.startsWith('Conf')),
        ['ConfA1', 'ConfA2', 'ConfA3'],
      );
      assert.equal(
        m.blockedDeviceIds.filter((x) => x.startsWith('Conf')),
        ['ConfB1'],
      );
      ok(
        await g.execute({
          kind: 'setCasMailbox',
          mailbox: target.identity,
          allowedDeviceIds: { add: ['confa3'], remove: ['CONFA2'] },
          blockedDeviceIds: { add: [], remove: ['confb1'] },
        }),
        'setCasMailbox again',
      );
      m = await one(g, target.identity);
      assert.equal(
        m.allowedDeviceIds.filter((x) => lc(x).startsWith('conf')),
        ['ConfA1', 'ConfA3'],
      );
      assert.equal(
        m.blockedDeviceIds.filter((x) => lc(x).startsWith('conf')),
        [],
      );
      const full = (await mailboxes(g)).find((x) => x.identity === target.identity)!;
      assert.equal(full.allowedDeviceIds, m.allowedDeviceIds, 'the full read agrees');
    }),
  );

  s(
    'setCasMailbox on a missing mailbox is notFound and changes nothing',
    withGateway(async (g) => {
      const before = await mailboxes(g);
      const e = err(
        await g.execute({
          kind: 'setCasMailbox',
          mailbox: 'contoso.com/Users/Nobody Here',
          allowedDeviceIds: { add: ['X1'], remove: [] },
          blockedDeviceIds: { add: [], remove: [] },
        }),
        'setCasMailbox on a missing mailbox',
      );
      assert.is(e.kind, 'notFound');
      assert.equal(await mailboxes(g), before);
    }),
  );

  s(
    'firstSyncAfter returns exactly the partnerships first synced after it',
    withGateway(async (g) => {
      const all = ok(await g.getMobileDevices(), 'getMobileDevices');
      const times = all
        .map((d) => d.firstSyncTime)
        .filter((t): t is string => t !== undefined)
        .sort();
      assert.ok(times.length >= 4, 'devices have FirstSyncTime');
      for (const watermark of [times[Math.floor(times.length / 2)]!, times[times.length - 1]!, '2000-01-01T00:00:00Z']) {
        const after = ok(await g.getMobileDevices({ firstSyncAfter: watermark }), `getMobileDevices after ${watermark}`);
        const expected = all.filter((d) => d.firstSyncTime !== undefined && Date.parse(d.firstSyncTime) > Date.parse(watermark));
        assert.equal(after.map((d) => d.deviceId).sort(), expected.map((d) => d.deviceId).sort(), `after ${watermark}`);
      }
      assert.is(err(await g.getMobileDevices({ firstSyncAfter: "yesterday'; Remove-Mailbox x" }), 'an invalid watermark').kind, 'other');
    }),
  );

  s(
    'device access rules: create, set, remove; named "<QueryString> (<Characteristic>)"',
    withGateway(async (g) => {
      const query = "Nokia'E52 $(x) \u2019";
      const name = `${query} (DeviceModel)`;
      ok(
        await g.execute({ kind: 'newDeviceAccessRule', characteristic: 'DeviceModel', queryString: query, accessLevel: 'Quarantine' }),
        'new rule',
      );
      let rules = ok(await g.getDeviceAccessRules(), 'getDeviceAccessRules');
      assert.equal(
        rules.find((r) => r.queryString === query),
        { name, characteristic: 'DeviceModel', queryString: query, accessLevel: 'Quarantine' },
      );
      assert.ok(
        isLeft(await g.execute({ kind: 'newDeviceAccessRule', characteristic: 'DeviceModel', queryString: query, accessLevel: 'Allow' })),
        'a duplicate rule is refused',
      );
      ok(await g.execute({ kind: 'setDeviceAccessRule', name, accessLevel: 'Block' }), 'set rule');
      rules = ok(await g.getDeviceAccessRules(), 'getDeviceAccessRules');
      assert.is(rules.find((r) => r.name === name)?.accessLevel, 'Block');
      ok(await g.execute({ kind: 'removeDeviceAccessRule', name }), 'remove rule');
      rules = ok(await g.getDeviceAccessRules(), 'getDeviceAccessRules');
      assert.ok(!rules.some((r) => r.name === name), 'the rule is gone');
      assert.is(err(await g.execute({ kind: 'removeDeviceAccessRule', name }), 'removing it again').kind, 'notFound');
      assert.is(
        err(await g.execute({ kind: 'setDeviceAccessRule', name, accessLevel: 'Allow' }), 'setting a missing rule').kind,
        'notFound',
      );
    }),
  );

  s(
    'org settings: a change is visible; only the fields given change',
    withGateway(async (g) => {
      const insert = 'Enroll at https://portal.manage.microsoft.com — it\'s quick; "really" `now`';
      ok(
        await g.execute({
          kind: 'setOrgSettings',
          defaultAccessLevel: 'Quarantine',
          userMailInsert: insert,
          adminMailRecipients: ['helpdesk@contoso.com', "o'brien@contoso.com"],
        }),
        'set org settings',
      );
      assert.equal(ok(await g.getOrgSettings(), 'getOrgSettings'), {
        defaultAccessLevel: 'Quarantine',
        userMailInsert: insert,
        adminMailRecipients: ['helpdesk@contoso.com', "o'brien@contoso.com"],
      });
      ok(await g.execute({ kind: 'setOrgSettings', adminMailRecipients: [] }), 'clear the recipients');
      assert.equal(ok(await g.getOrgSettings(), 'getOrgSettings'), {
        defaultAccessLevel: 'Quarantine',
        userMailInsert: insert,
        adminMailRecipients: [],
      });
      assert.is(err(await g.execute({ kind: 'setOrgSettings', userMailInsert: 'x'.repeat(257) }), 'a too long insert').kind, 'other');
    }),
  );

  s(
    'lists the Exchange servers, Client Access ones with an FQDN',
    withGateway(async (g) => {
      const servers = ok(await g.getExchangeServers(), 'getExchangeServers');
      const cas = servers.filter((x) => x.isClientAccessServer);
      assert.ok(cas.length >= 1, 'a Client Access server');
      for (const x of cas) assert.match(x.fqdn, /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i);
    }),
  );

  s(
    'values travel as data: hostile device ids arrive and come back exactly',
    withGateway(async (g) => {
      const target = (await mailboxes(g))[1]!;
      ok(
        await g.execute({
          kind: 'setCasMailbox',
          mailbox: target.identity,
          allowedDeviceIds: { add: [...HOSTILE_VALUES], remove: [] },
          blockedDeviceIds: { add: [], remove: [] },
        }),
        'add hostile ids',
      );
      const m = await one(g, target.identity);
      assert.equal(m.allowedDeviceIds.slice(-HOSTILE_VALUES.length), [...HOSTILE_VALUES]);
      ok(
        await g.execute({
          kind: 'setCasMailbox',
          mailbox: target.identity,
          allowedDeviceIds: { add: [], remove: [...HOSTILE_VALUES] },
          blockedDeviceIds: { add: [], remove: [] },
        }),
        'remove them',
      );
      assert.equal((await one(g, target.identity)).allowedDeviceIds, target.allowedDeviceIds);
    }),
  );

  s(
    'sessions (when offered): commands run in order on one session; a closed session refuses more',
    withGateway(async (g) => {
      if (!g.openSession) return;
      const target = (await mailboxes(g))[2]!;
      const session = ok(await g.openSession(), 'openSession');
      for (const id of ['SessA1', 'SessA2', 'SessA3']) {
        ok(
          await session.execute({
            kind: 'setCasMailbox',
            mailbox: target.identity,
            allowedDeviceIds: { add: [id], remove: [] },
            blockedDeviceIds: { add: [], remove: [] },
          }),
          `execute ${id}`,
        );
      }
      ok(
        await session.execute({
          kind: 'setCasMailbox',
          mailbox: target.identity,
          allowedDeviceIds: { add: [], remove: ['SessA2'] },
          blockedDeviceIds: { add: [], remove: [] },
        }),
        'remove',
      );
      assert.is(
        err(await session.execute({ kind: 'removeDeviceAccessRule', name: 'No Such Rule (DeviceModel)' }), 'a missing rule').kind,
        'notFound',
      );
      await session.close();
      assert.equal(
        (await one(g, target.identity)).allowedDeviceIds.filter((x) => x.startsWith('Sess')),
        ['SessA1', 'SessA3'],
      );
      assert.is(
        err(
          await session.execute({
            kind: 'setCasMailbox',
            mailbox: target.identity,
            allowedDeviceIds: { add: ['SessA4'], remove: [] },
            blockedDeviceIds: { add: [], remove: [] },
          }),
          'after close',
        ).kind,
        'sessionBroken',
      );
      await session.close(); // twice is harmless
      const again = ok(await g.openSession(), 'another session');
      ok(
        await again.execute({
          kind: 'setCasMailbox',
          mailbox: target.identity,
          allowedDeviceIds: { add: ['SessA4'], remove: [] },
          blockedDeviceIds: { add: [], remove: [] },
        }),
        'in a new session',
      );
      await again.close();
    }),
  );

  s(
    'switchServer (when offered): to another Client Access server and back; an unknown server is connectionLost and changes nothing',
    withGateway(async (g) => {
      if (!g.switchServer || !g.currentServer) return;
      const primary = g.currentServer()!;
      const cas = ok(await g.getExchangeServers(), 'getExchangeServers')
        .filter((x) => x.isClientAccessServer)
        .map((x) => x.fqdn);
      const other = cas.find((x) => lc(x) !== lc(primary));
      assert.ok(other, 'a second CAS');
      ok(await g.switchServer(other), `switch to ${other}`);
      assert.is(lc(g.currentServer()!), lc(other));
      assert.ok((await mailboxes(g)).length > 0, 'reads work there');
      const e = err(await g.switchServer('nosuch.contoso.com'), 'switch to an unknown server');
      assert.is(e.kind, 'connectionLost');
      assert.is(lc(g.currentServer()!), lc(other), 'still on the working server');
      ok(await g.switchServer(primary), 'back to the primary');
      assert.is(lc(g.currentServer()!), lc(primary));
    }),
  );

  s.run();
}
