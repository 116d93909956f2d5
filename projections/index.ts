// eas-access-sync/projections: pure folds of a log's events (held in memory);
// `eas-access-sync/log` runs them over a log file without holding it.
export { createReplay, replay } from './replay.js';
export type { ReplayDeviceState, ReplayFold, ReplayOptions, ReplayResult } from './replay.js';
export { whatIf } from './what-if.js';
export type { WhatIfChange, WhatIfCommand, WhatIfOptions, WhatIfResult, WhatIfWarning } from './what-if.js';
export { explain } from './explain.js';
export type { EnforcingCommand, ExplainError, ExplainOptions, Explanation, TimelineEntry } from './explain.js';
export { emptyConnectorStatus, foldConnectorStatus } from './connector-status.js';
export type { ConnectorStatusProjection } from './connector-status.js';
export { toExchangeConnectorCollection, toExchangeConnectorResource } from './intune-status.js';
export type { ExchangeConnectorInfo, ExchangeConnectorResource, ExchangeConnectorStatus } from './intune-status.js';
