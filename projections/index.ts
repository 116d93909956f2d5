export * from './device-access.js';
export * from './connector-status.js';
export * from './replay.js';
export * from './explain.js';
export * from './what-if.js';
export * from './intune-status.js';
