// eas-access-sync/log: reading a log as a library: replay, what-if and explain
// over a log file (streamed, never modified), a fold of your own over its events,
// and the policy file the what-if takes. Errors are Either values.
export { foldLogFile } from './fold.js';
export type { FoldLogOptions, LogFold } from './fold.js';
export { foldEventStoreDb } from './esdb-fold.js';
export { replayFile } from './replay-file.js';
export type { ReplayFileResult } from './replay-file.js';
export { whatIfFile } from './what-if-file.js';
export { whatIfRemovalsFile } from './what-if-removals.js';
export type { WhatIfFileOptions, WhatIfFileResult } from './what-if-file.js';
export { explainFile } from './explain-file.js';
export type { ExplainFileError, ExplainFileResult } from './explain-file.js';
export { readPolicyFile } from './policy-file.js';
export type { InputError } from '../shared/input-errors.js';
export type { LineError, StreamHead, TornTail } from '../shared/log-reader.js';
