// Prometheus text of the running connector: counters, gauges and histograms.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMetrics } from '../adapters/cli/metrics.js';
import { histogram, observe } from '../src/histogram.js';
import type { ConnectorStatusView, EngineMetrics } from '../src/engine.js';

const test = suite('metrics');
const status: ConnectorStatusView = {
  organization: 'contoso',
  status: 'connected',
  fenced: false,
  lastSuccessfulSync: {},
  servers: [],
  access: { allow: 1, block: 2, quarantine: 3 },
  pendingIntents: 0,
};
const metrics = (): EngineMetrics => ({
  syncs: { full: { succeeded: 1, failed: 0 }, quick: { succeeded: 2, failed: 0 } },
  commands: { succeeded: 3, failed: 0 },
  throttleWaits: 0,
  throttleWaitMs: 0,
  sessionsOpened: 1,
  casSwitches: 0,
  notifications: { sent: 0, failed: 0 },
  syncDurationSeconds: { full: histogram([1, 60]), quick: histogram([1, 60]) },
  commandLatencySeconds: histogram([0.1, 1]),
});

test('histograms are written with cumulative buckets, +Inf, sum and count', () => {
  const m = metrics();
  observe(m.syncDurationSeconds.full, 30);
  observe(m.syncDurationSeconds.quick, 0.5);
  observe(m.syncDurationSeconds.quick, 2);
  for (const v of [0.05, 0.1, 0.5, 3]) observe(m.commandLatencySeconds, v);
  const text = renderMetrics(status, m);
  assert.match(text, '# TYPE eas_sync_sync_duration_seconds histogram');
  assert.match(text, 'eas_sync_sync_duration_seconds_bucket{organization="contoso",kind="full",le="1"} 0\n');
  assert.match(text, 'eas_sync_sync_duration_seconds_bucket{organization="contoso",kind="full",le="60"} 1\n');
  assert.match(text, 'eas_sync_sync_duration_seconds_bucket{organization="contoso",kind="quick",le="1"} 1\n');
  assert.match(text, 'eas_sync_sync_duration_seconds_bucket{organization="contoso",kind="quick",le="+Inf"} 2\n');
  assert.match(text, 'eas_sync_sync_duration_seconds_sum{organization="contoso",kind="quick"} 2.5\n');
  assert.match(text, 'eas_sync_sync_duration_seconds_count{organization="contoso",kind="quick"} 2\n');
  // An observation equal to a bound falls in that bucket (le is "less than or equal").
  assert.match(text, 'eas_sync_command_duration_seconds_bucket{organization="contoso",le="0.1"} 2\n');
  assert.match(text, 'eas_sync_command_duration_seconds_bucket{organization="contoso",le="1"} 3\n');
  assert.match(text, 'eas_sync_command_duration_seconds_bucket{organization="contoso",le="+Inf"} 4\n');
  assert.match(text, 'eas_sync_command_duration_seconds_count{organization="contoso"} 4\n');
});

test.run();
