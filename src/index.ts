/** The library API: what the CLI does, as functions. */
export { push, type PushOptions, type PushHooks, type PushReport } from './push.js';
export type { ProfileResult, EndpointResult } from './deliver.js';
export { PyroPushError, ProblemsError, EXIT, type ErrorCode, type ExitCode } from './errors.js';
export { exitCodeFor } from './report.js';
export { startReceiver, createPushHandler, type Receiver, type ReceivedProfile, type ScriptedReply } from './receive.js';
export { DEFAULTS } from './defaults.js';
export { Secret } from './secret.js';
