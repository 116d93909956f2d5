export * from './device-access.js';
export * from './connector-status.js';
export * from './decision-trail.js';
export * from './replay.js';
