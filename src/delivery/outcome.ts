import type { NetworkProblem } from '../transport/network-errors.js';

/** What one attempt to deliver a profile to an endpoint came to. Plain data: printed, retried, reported. */
export type Outcome = { ok: true; status: number } | Failure;

export type Failure = HttpFailure | NetworkFailure | AuthFailure | StoppedFailure;

/** The server (or a proxy or load balancer in front of it) answered, and not with success. */
export interface HttpFailure {
  ok: false;
  kind: 'http';
  status: number;
  statusText: string;
  /** The protocol's error code (Connect), from its error body; absent when something else answered. */
  connectCode?: string;
  /** The protocol's message, or the first ~2 KiB of a body that is not the protocol's. */
  detail: string;
  retryAfterMs?: number;
  /** Set when the answer cannot change on a retry although its code says otherwise (a profile over the rate-limit burst). */
  permanentReason?: string;
}

/** No HTTP answer: refused, reset, timed out, TLS failed. */
export interface NetworkFailure extends NetworkProblem {
  ok: false;
  kind: 'network';
}

/** Credentials could not be had: the OAuth2 token endpoint refused or failed, or a secret file vanished. */
export interface AuthFailure {
  ok: false;
  kind: 'auth';
  message: string;
  retryable: boolean;
}

/** The run was cut short (its --deadline, or an interrupt) before or while this attempt ran: never retried. */
export interface StoppedFailure {
  ok: false;
  kind: 'stopped';
  why: 'deadline' | 'interrupted' | 'endpoint-down';
  /** `stopped by --deadline 2s`, `interrupted (SIGINT)`. */
  message: string;
}

/** `503 Service Unavailable after 5 attempts: <body>` — the cause first, the server's words last. */
export function describeFailure(f: Failure, attempts: number, stoppedBy?: string): string {
  const times = `after ${attempts === 1 ? '1 attempt' : `${attempts} attempts`}${stoppedBy ? `, ${stoppedBy}` : ''}`;
  switch (f.kind) {
    case 'http': {
      const head = `${f.status} ${f.statusText}`.trim() + (f.connectCode ? ` (${f.connectCode})` : '');
      const tail = [f.detail, f.permanentReason].filter(Boolean).join('; ');
      return `${head} ${times}${tail ? `: ${tail}` : ''}`;
    }
    case 'stopped':
      if (attempts > 0) return `${f.message} during attempt ${attempts}`;
      return f.why === 'endpoint-down' ? `not sent: ${f.message}` : `not sent: ${f.message} before its turn`;
    default:
      return `${f.message} ${times}`;
  }
}
