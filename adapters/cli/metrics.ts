// Prometheus text exposition of the running connector.
import type { ConnectorStatusView, EngineMetrics, Histogram } from '../../src/engine.js';

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function renderMetrics(status: ConnectorStatusView, m: EngineMetrics): string {
  const org = `organization="${esc(status.organization)}"`;
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) lines.push(`${name}{${[org, labels].filter(Boolean).join(',')}} ${v}`);
  };
  metric('eas_sync_syncs_total', 'counter', 'Syncs run, by kind and result.', [
    ['kind="full",result="succeeded"', m.syncs.full.succeeded],
    ['kind="full",result="failed"', m.syncs.full.failed],
    ['kind="quick",result="succeeded"', m.syncs.quick.succeeded],
    ['kind="quick",result="failed"', m.syncs.quick.failed],
  ]);
  metric('eas_sync_commands_total', 'counter', 'Exchange commands, by result.', [
    ['result="succeeded"', m.commands.succeeded],
    ['result="failed"', m.commands.failed],
  ]);
  metric('eas_sync_failures_total', 'counter', 'Syncs that failed.', [['', m.syncs.full.failed + m.syncs.quick.failed]]);
  metric('eas_sync_throttle_waits_total', 'counter', 'Waits imposed by Exchange throttling.', [['', m.throttleWaits]]);
  metric('eas_sync_throttle_wait_seconds_total', 'counter', 'Time spent waiting for Exchange throttling.', [['', m.throttleWaitMs / 1000]]);
  metric('eas_sync_sessions_opened_total', 'counter', 'Remote PowerShell sessions opened.', [['', m.sessionsOpened]]);
  metric('eas_sync_cas_switches_total', 'counter', 'Client Access server switches (failover and back).', [['', m.casSwitches]]);
  metric('eas_sync_notifications_total', 'counter', 'User notifications, by result.', [
    ['result="sent"', m.notifications.sent],
    ['result="failed"', m.notifications.failed],
  ]);
  metric('eas_sync_devices', 'gauge', 'Device partnerships by access level.', [
    ['access="allow"', status.access.allow],
    ['access="block"', status.access.block],
    ['access="quarantine"', status.access.quarantine],
  ]);
  metric('eas_sync_pending_intents', 'gauge', 'Commands recorded as intended without an outcome.', [['', status.pendingIntents]]);
  metric(
    'eas_sync_connector_status',
    'gauge',
    'Connector status (1 for the current one).',
    (['connectionPending', 'connected', 'disconnected'] as const).map((s) => [`status="${s}"`, status.status === s ? 1 : 0]),
  );
  const histogram = (name: string, help: string, series: Array<[string, Histogram]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    for (const [labels, h] of series) {
      const base = [org, labels].filter(Boolean).join(',');
      let cumulative = 0;
      h.bounds.forEach((b, i) => {
        cumulative += h.counts[i]!;
        lines.push(`${name}_bucket{${base},le="${b}"} ${cumulative}`);
      });
      lines.push(`${name}_bucket{${base},le="+Inf"} ${h.count}`, `${name}_sum{${base}} ${h.sum}`, `${name}_count{${base}} ${h.count}`);
    }
  };
  histogram('eas_sync_sync_duration_seconds', 'How long syncs took, by kind.', [
    ['kind="full"', m.syncDurationSeconds.full],
    ['kind="quick"', m.syncDurationSeconds.quick],
  ]);
  histogram('eas_sync_command_duration_seconds', 'How long each Exchange command attempt took.', [['', m.commandLatencySeconds]]);
  const last = (k: 'full' | 'quick'): Array<[string, number]> =>
    status.lastSuccessfulSync[k] ? [[`kind="${k}"`, Date.parse(status.lastSuccessfulSync[k]) / 1000]] : [];
  metric('eas_sync_last_successful_sync_timestamp_seconds', 'gauge', 'When the last successful sync of each kind completed.', [
    ...last('full'),
    ...last('quick'),
  ]);
  return lines.join('\n') + '\n';
}
