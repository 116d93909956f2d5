// Connector status in Intune's terms: the connector status projection mapped
// onto Microsoft Graph's deviceManagementExchangeConnector resource, so that
// tools that showed the original connector (Intune admin center, scripts over
// GET /deviceManagement/exchangeConnectors) can show this one the same way.
import type { ConnectorState, ConnectorStatus } from '../src/connector.js';
import type { ConnectorStatusProjection } from './connector-status.js';

/** Graph's deviceManagementExchangeConnectorStatus. */
export type ExchangeConnectorStatus = ConnectorStatus; // 'none' | 'connectionPending' | 'connected' | 'disconnected'

/** Graph's deviceManagementExchangeConnector (v1.0), as its JSON looks. */
export interface ExchangeConnectorResource {
  readonly id: string;
  readonly status: ExchangeConnectorStatus;
  /** The last successful sync, quick or full; Graph's "unset" 0001-01-01T00:00:00Z before the first one. */
  readonly lastSyncDateTime: string;
  /** The Exchange server (CAS) the connector talks to. */
  readonly serverName: string | null;
  /** The connector agent's version. */
  readonly version: string;
  readonly exchangeOrganization: string;
  /** The machine the connector runs on. */
  readonly connectorServerName: string | null;
  readonly exchangeConnectorType: 'onPremises';
  /** Only for the service-to-service connector. */
  readonly primarySmtpAddress: null;
  readonly exchangeAlias: null;
}

export interface ExchangeConnectorInfo {
  /** Default: the connector id recorded in the log (`<organization>-connector`). */
  readonly id?: string;
  /** Default: the first Client Access server discovered (the engine's `exchange.currentServer()` is better when running). */
  readonly serverName?: string;
  readonly version: string;
  readonly exchangeOrganization: string;
  readonly connectorServerName?: string;
}

export const GRAPH_UNSET_DATE = '0001-01-01T00:00:00Z';

function latest(...dates: ReadonlyArray<string | undefined>): string | undefined {
  let best: string | undefined;
  let bestMs = -Infinity;
  for (const d of dates) {
    if (d === undefined) continue;
    const ms = Date.parse(d);
    if (!Number.isNaN(ms) && ms > bestMs) {
      best = d;
      bestMs = ms;
    }
  }
  return best;
}

/** One connector's state as Graph's deviceManagementExchangeConnector. */
export function toExchangeConnectorResource(state: ConnectorState, info: ExchangeConnectorInfo): ExchangeConnectorResource {
  const last = latest(state.lastSuccessful.full, state.lastSuccessful.quick);
  return {
    id: info.id ?? state.connectorId ?? '',
    // `none` until the connector is registered (Graph: no connector)
    status: state.status,
    lastSyncDateTime: last === undefined ? GRAPH_UNSET_DATE : new Date(Date.parse(last)).toISOString(),
    serverName: info.serverName ?? state.servers[0] ?? null,
    version: info.version,
    exchangeOrganization: info.exchangeOrganization,
    connectorServerName: info.connectorServerName ?? null,
    exchangeConnectorType: 'onPremises',
    primarySmtpAddress: null,
    exchangeAlias: null,
  };
}

/**
 * Every organization of the projection as the body of
 * `GET /deviceManagement/exchangeConnectors` (`{ value: [...] }`).
 */
export function toExchangeConnectorCollection(
  p: ConnectorStatusProjection,
  info: (organization: string) => Omit<ExchangeConnectorInfo, 'exchangeOrganization'> & { readonly exchangeOrganization?: string },
): { readonly value: ExchangeConnectorResource[] } {
  const value: ExchangeConnectorResource[] = [];
  for (const [organization, state] of [...p.organizations].sort(([a], [b]) => a.localeCompare(b))) {
    const i = info(organization);
    value.push(toExchangeConnectorResource(state, { ...i, exchangeOrganization: i.exchangeOrganization ?? organization }));
  }
  return { value };
}
