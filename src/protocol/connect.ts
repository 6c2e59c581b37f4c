/**
 * Connect's error codes in one table: the HTTP status connect-go's server answers for each (what
 * `pyro-push receive` answers) and whether the same request may succeed later (PROTOCOL.md §4).
 * `resource_exhausted` is throttling: retried or not by `retry_on_http_429`, so `retryable` is false here.
 */
export const CONNECT_CODES = {
  canceled: { status: 499, retryable: false },
  unknown: { status: 500, retryable: true },
  invalid_argument: { status: 400, retryable: false },
  deadline_exceeded: { status: 504, retryable: true },
  not_found: { status: 404, retryable: false },
  already_exists: { status: 409, retryable: false },
  permission_denied: { status: 403, retryable: false },
  resource_exhausted: { status: 429, retryable: false },
  failed_precondition: { status: 400, retryable: false },
  aborted: { status: 409, retryable: true },
  out_of_range: { status: 400, retryable: false },
  unimplemented: { status: 501, retryable: false },
  internal: { status: 500, retryable: true },
  unavailable: { status: 503, retryable: true },
  data_loss: { status: 500, retryable: true },
  unauthenticated: { status: 401, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ConnectCode = keyof typeof CONNECT_CODES;

export function isConnectCode(code: string): code is ConnectCode {
  return Object.hasOwn(CONNECT_CODES, code);
}

export interface ConnectError {
  code: ConnectCode;
  message: string;
}

/** A Connect unary error body (`{"code": "...", "message": "..."}`), or undefined when it is something else. */
export function parseConnectError(contentType: string | undefined, body: string): ConnectError | undefined {
  if (!contentType?.toLowerCase().startsWith('application/json')) return undefined;
  try {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown } | null;
    // A proxy's or load balancer's own JSON ({"code":"UNAVAILABLE"}) is classified by its HTTP status instead.
    if (typeof parsed?.code !== 'string' || !isConnectCode(parsed.code)) return undefined;
    return { code: parsed.code, message: typeof parsed.message === 'string' ? parsed.message : '' };
  } catch {
    return undefined;
  }
}
