/**
 * The one source of default values: the code reads them, `--help` prints them, and the README's
 * flag table is generated from `--help` (test/readme.test.ts keeps it in step).
 * Endpoint values are Alloy's `pyroscope.write` defaults, so a translated config behaves the same.
 */
export const DEFAULTS = {
  protocol: 'push',
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
  /**
   * Unlike Alloy (true): measured in bulk over TLS, HTTP/2 sent 1000 profiles 1.16–1.42× slower than
   * HTTP/1.1 keep-alive (undici puts every request on one HTTP/2 connection, HTTP/1.1 uses --concurrency
   * connections), and a single push is the same either way. --http2 or enable_http2: true opts in.
   */
  enableHttp2: false,
  tlsMinVersion: 'TLS12',
  scrapeProfiles: 'cpu,heap,goroutine',
  scrapeSeconds: 15,
  spoolMaxBytes: '512MiB',
  spoolMaxAge: '24h',
  /** After Ctrl-C or SIGTERM, requests in flight get this long to finish before they are cut. */
  interruptGrace: '2s',
  receivePort: 4040,
  receiveHost: '127.0.0.1',
} as const;
