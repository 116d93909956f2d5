// Managed devices back into Graph's JSON shape (the `$select`ed properties), so
// that an export can be read again by `eas-sync plan --intune` (adapters/exports/graph.ts).
import type { ManagedDevice } from '../../src/facts.js';

/** Graph's DateTimeOffset "unset" value; the export decoders read it as absent. */
export const GRAPH_MIN_DATE = '0001-01-01T00:00:00Z';

export interface GraphManagedDevice {
  readonly id: string;
  readonly easDeviceId: string | null;
  readonly userPrincipalName: string | null;
  readonly emailAddress: string | null;
  readonly complianceState: string;
  readonly managementAgent: string;
  readonly lastSyncDateTime: string;
  readonly complianceGracePeriodExpirationDateTime: string;
  readonly deviceName: string | null;
  readonly model: string | null;
  readonly operatingSystem: string | null;
}

export function toGraphManagedDevice(d: ManagedDevice): GraphManagedDevice {
  return {
    id: d.id,
    easDeviceId: d.easDeviceId ?? null,
    userPrincipalName: d.userPrincipalName ?? null,
    emailAddress: d.emailAddress ?? null,
    complianceState: d.complianceState,
    managementAgent: d.managementAgent,
    lastSyncDateTime: d.lastSyncDateTime ?? GRAPH_MIN_DATE,
    complianceGracePeriodExpirationDateTime: d.complianceGracePeriodExpirationDateTime ?? GRAPH_MIN_DATE,
    deviceName: d.deviceName ?? null,
    model: d.model ?? null,
    operatingSystem: d.operatingSystem ?? null,
  };
}
