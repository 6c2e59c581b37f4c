/** What one attempt to deliver a profile to an endpoint came to. Plain data: printed, retried, reported. */
export type Outcome =
  | { ok: true; status: number }
  | HttpFailure
  | NetworkFailure
  | AuthFailure
  | DeadlineFailure;

/** The server (or a proxy or load balancer in front of it) answered with a status other than 200. */
export interface HttpFailure {
  ok: false;
  kind: 'http';
  status: number;
  statusText: string;
  /** From a Connect JSON error body; absent when something else answered. */
  connectCode?: string;
  /** The Connect message, or the first ~2 KiB of a body that is not Connect JSON. */
  detail: string;
  retryAfterMs?: number;
  /** Set when the answer cannot change on a retry although its code says otherwise (a profile over the rate-limit burst). */
  permanentReason?: string;
}

/** No HTTP answer: refused, reset, timed out, TLS failed. */
export interface NetworkFailure {
  ok: false;
  kind: 'network';
  code: string;
  message: string;
  /** TLS and name errors will fail the same way again. */
  retryable: boolean;
}

/** Credentials could not be had: the OAuth2 token endpoint refused or failed, or a secret file vanished. */
export interface AuthFailure {
  ok: false;
  kind: 'auth';
  message: string;
  retryable: boolean;
}

/** Never attempted: the run's --deadline passed while the profile waited for its turn. */
export interface DeadlineFailure {
  ok: false;
  kind: 'deadline';
  message: string;
}

export type Failure = HttpFailure | NetworkFailure | AuthFailure | DeadlineFailure;

/** `503 Service Unavailable after 5 attempts: <body>` — the cause first, the server's words last. */
export function describeFailure(f: Failure, attempts: number, stoppedBy?: string): string {
  const times = `after ${attempts === 1 ? '1 attempt' : `${attempts} attempts`}${stoppedBy ? `, stopped by ${stoppedBy}` : ''}`;
  switch (f.kind) {
    case 'http': {
      const head = `${f.status} ${f.statusText}`.trim() + (f.connectCode ? ` (${f.connectCode})` : '');
      const tail = [f.detail, f.permanentReason].filter(Boolean).join('; ');
      return `${head} ${times}${tail ? `: ${tail}` : ''}`;
    }
    case 'deadline':
      return f.message;
    default:
      return `${f.message} ${times}`;
  }
}
