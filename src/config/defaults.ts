/**
 * The one source of default values: the code reads them, `--help` prints them, and the README's
 * flag table is generated from `--help` (test/readme.test.ts keeps it in step).
 * Endpoint values are Alloy's `pyroscope.write` defaults, so a translated config behaves the same.
 */
export const DEFAULTS = {
  remoteTimeout: '10s',
  minBackoff: '500ms',
  maxBackoff: '5m',
  maxAttempts: 10,
  retryOn429: true,
  /** 0s = no overall deadline; needed only with --max-attempts 0. */
  deadline: '0s',
  concurrency: 8,
  followRedirects: true,
  maxRedirects: 10,
  enableHttp2: true,
  tlsMinVersion: 'TLS12',
  delta: 'false',
  receivePort: 4040,
  receiveHost: '127.0.0.1',
} as const;

/** The server's default limits (PROTOCOL.md §2–3), checked before sending. */
export const SERVER_LIMITS = {
  maxProfileBytes: 4 * 1024 * 1024,
  /** The ingestion rate limiter's burst: a bigger profile gets 429 on every try. */
  rateLimitBurstBytes: 2 * 1024 * 1024,
  maxSamples: 16_000,
  maxLabelNames: 30,
  maxLabelNameBytes: 1024,
  maxLabelValueBytes: 2048,
  ingestionWindowPastMs: 60 * 60 * 1000,
  ingestionWindowFutureMs: 10 * 60 * 1000,
} as const;

export const PUSH_PATH = '/push.v1.PusherService/Push';
