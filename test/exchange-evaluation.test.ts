import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateExchange, matchingRule } from '../src/exchange-evaluation.js';
import type { DeviceAccessRule } from '../src/facts.js';
import { device, mailbox } from './support/builders.js';

const test = suite('Exchange evaluation');
const kim = mailbox('Kim Akers');
const phone = device(kim, 'ApplC39GQ9UJDTDM', { deviceType: 'iPhone', deviceModel: 'iPhone15C2', deviceOS: 'iOS 17.1 21B74' });
const lists = (allowed: string[] = [], blocked: string[] = []) => ({
  activeSyncEnabled: true,
  allowedDeviceIds: allowed,
  blockedDeviceIds: blocked,
});
const rule = (
  characteristic: DeviceAccessRule['characteristic'],
  queryString: string,
  accessLevel: DeviceAccessRule['accessLevel'],
): DeviceAccessRule => ({ characteristic, queryString, accessLevel, name: `${queryString} (${characteristic})` });
const quarantine = { defaultAccessLevel: 'Quarantine' as const };

test('step 1: ActiveSync disabled on the mailbox blocks everything', () => {
  assert.equal(evaluateExchange(phone, { ...lists(['ApplC39GQ9UJDTDM']), activeSyncEnabled: false }, quarantine, []), {
    access: 'block',
    reason: 'activeSyncDisabled',
  });
});

test('step 2: the blocked list beats the allowed list', () => {
  assert.equal(evaluateExchange(phone, lists(['ApplC39GQ9UJDTDM'], ['applc39gq9ujdtdm']), quarantine, []), {
    access: 'block',
    reason: 'individual',
  });
});

test('step 3: the allowed list beats every device access rule', () => {
  assert.equal(evaluateExchange(phone, lists(['APPLC39GQ9UJDTDM']), quarantine, [rule('DeviceType', 'iPhone', 'Block')]).access, 'allow');
});

test('step 4: among matching rules Block beats Quarantine beats Allow', () => {
  const rules = [rule('DeviceType', 'iphone', 'Allow'), rule('DeviceModel', 'iPhone15C2', 'Quarantine')];
  assert.equal(evaluateExchange(phone, lists(), { defaultAccessLevel: 'Allow' }, rules), {
    access: 'quarantine',
    reason: 'deviceRule',
    rule: 'iPhone15C2 (DeviceModel)',
  });
  assert.is(
    evaluateExchange(phone, lists(), { defaultAccessLevel: 'Allow' }, [...rules, rule('DeviceOS', 'iOS 17.1 21B74', 'Block')]).access,
    'block',
  );
  assert.is(matchingRule(phone, [rule('DeviceOS', 'iOS 17.1', 'Block')]), undefined, 'matching is exact, not a prefix');
});

test('step 5: otherwise the org default decides', () => {
  assert.equal(evaluateExchange(phone, lists(), { defaultAccessLevel: 'Block' }, [rule('DeviceType', 'Android', 'Allow')]), {
    access: 'block',
    reason: 'global',
  });
});

test('a device once blocked by a Block rule stays blocked by it', () => {
  assert.equal(evaluateExchange(phone, lists(), { defaultAccessLevel: 'Allow' }, [], 'iOS 9 (DeviceOS)'), {
    access: 'block',
    reason: 'deviceRule',
    rule: 'iOS 9 (DeviceOS)',
  });
});

test.run();
