// benchmarks/recorded-org.ts: a simulated organization's answers, recorded once
// and replayed to the engine; from texts, parsed anew on every read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { answerTexts, recordAnswers, recordedOrganization } from '../benchmarks/recorded-org.js';

const right = <A>(e: { _tag: string; right?: A }): A => {
  assert.ok(isRight(e as never), JSON.stringify(e));
  return e.right as A;
};

test('answers recorded as texts are read back equal to the recorded ones, new objects on every read', async () => {
  const sim = simulateOrganization({ devices: 60, seed: 3 });
  const answers = await recordAnswers(sim);
  const rec = recordedOrganization(answerTexts(answers));
  const devices = right(await rec.exchange.getMobileDevices());
  assert.equal(devices, answers.devices);
  assert.equal(right(await rec.exchange.getCasMailboxes()), answers.mailboxes);
  assert.equal(right(await rec.exchange.getOrgSettings()), answers.settings);
  assert.equal(right(await rec.exchange.getDeviceAccessRules()), answers.rules);
  assert.equal(right(await rec.exchange.getExchangeServers()), answers.servers);
  assert.equal(right(await rec.intune.getManagedDevices()), answers.managed);
  const groups = right(await rec.intune.getGroupMembers([...answers.groups.keys()]));
  assert.equal(
    [...groups].map(([id, m]) => [id, [...m]]),
    [...answers.groups].map(([id, m]) => [id, [...m]]),
  );
  assert.ok(groups instanceof Map && [...groups.values()].every((m) => m instanceof Set));
  // Parsed anew: another read gives other objects (what a real gateway's parse gives), recorded ones are shared.
  assert.is.not(right(await rec.exchange.getMobileDevices()), devices);
  const shared = recordedOrganization(answers);
  assert.is(right(await shared.exchange.getMobileDevices()), answers.devices);
});

test.run();
