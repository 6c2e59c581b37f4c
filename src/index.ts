/** The library API: what the CLI does, as functions that take typed values. */
export { push, type PushOptions, type PushHooks, type PushReport } from './push.js';
export type { Duration, TlsMinVersion } from './config/options.js';
export { type ProfileResult, type EndpointResult, exitCodeFor } from './delivery/result.js';
export { PyroPushError, ProblemsError, RunStopped, EXIT, type ErrorCode, type ExitCode } from './errors.js';
export { startReceiver, createPushHandler, type Receiver, type ReceivedProfile, type ScriptedReply } from './receiver/receiver.js';
export { DEFAULTS } from './config/defaults.js';
export type { SendInput } from './sources/inputs.js';
export { Secret } from './secret.js';
