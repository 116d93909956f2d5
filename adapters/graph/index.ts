// eas-access-sync/graph: the IntuneGateway over Microsoft Graph v1.0, its token
// providers, the `intune` section of the connector config, and the export shape.
export { graphIntuneGateway, checkBaseUrl, showUrl, parseRetryAfter, GRAPH_V1, MANAGED_DEVICE_SELECT } from './gateway.js';
export type { GraphGatewayOptions, GraphIntuneGateway, GraphStats } from './gateway.js';
export { clientCredentialsTokenProvider, staticTokenProvider, envTokenProvider, TokenError, GRAPH_SCOPE } from './token.js';
export type { TokenProvider, TokenRequest, ClientCredentialsOptions } from './token.js';
export { RequestBudget, DEFAULT_BUDGET } from './budget.js';
export type { Budget } from './budget.js';
export { toGraphManagedDevice, GRAPH_MIN_DATE } from './export.js';
export type { GraphManagedDevice } from './export.js';
export { parseIntuneConfig, graphGatewayFromConfig } from './config.js';
export type { IntuneConfig, GraphIntuneConfig, SimulatorIntuneConfig, GatewayFromConfig } from './config.js';
export { resolveProxy, parseProxyUrl, bypassesProxy, proxiedFetch, fetchNetworkClient, describeProxy, ProxyError } from './proxy.js';
export type { ProxySettings, ProxyConfig, ProxiedFetch, ProxiedFetchOptions } from './proxy.js';
