/** The library API: what the CLI does, as functions. */
export { push, type PushOptions, type PushHooks, type PushReport } from './push.js';
export type { ProfileResult, EndpointResult } from './delivery/fan-out.js';
export { PyroPushError, ProblemsError, EXIT, type ErrorCode, type ExitCode } from './errors.js';
export { exitCodeFor } from './cli/render.js';
export { startReceiver, createPushHandler, type Receiver, type ReceivedProfile, type ScriptedReply } from './receiver/receiver.js';
export { DEFAULTS } from './config/defaults.js';
export { Secret } from './secret.js';
