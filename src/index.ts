// eas-access-sync: the pure core, the engine and the projections.
export * from './facts.js';
export * from './commands.js';
export * from './ports.js';
export * from './codec.js';
export * from './policy.js';
export * from './events.js';
export * from './exchange-evaluation.js';
export * from './identity.js';
export * from './mapping.js';
export * from './access.js';
export * from './notification.js';
export * from './mailbox.js';
export * from './connector.js';
export * from './state.js';
export * from './engine.js';
export * from '../projections/index.js';
export * from './plan.js';
