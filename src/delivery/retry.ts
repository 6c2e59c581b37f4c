import type { Failure, Outcome } from './outcome.js';

export interface RetryPolicy {
  /** Attempts in total, Alloy's `max_backoff_retries`; 0 = until the deadline. */
  maxAttempts: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  retryOn429: boolean;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1), for jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

const RETRYABLE_CONNECT_CODES = new Set(['deadline_exceeded', 'unknown', 'internal', 'unavailable', 'data_loss', 'aborted']);

/** An HTTP status that may turn out otherwise on a later try: 408, 429 and 5xx. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The server asked us to slow down: Connect `resource_exhausted`, or a plain 429 from something else. */
export function isThrottled(failure: Failure): boolean {
  return failure.kind === 'http' && (failure.connectCode === 'resource_exhausted' || (failure.connectCode === undefined && failure.status === 429));
}

/** Whether the same request could succeed later (PROTOCOL.md §4). Pure. */
export function shouldRetry(failure: Failure, policy: Pick<RetryPolicy, 'retryOn429'>): boolean {
  if (failure.kind === 'deadline') return false;
  if (failure.kind !== 'http') return failure.retryable;
  if (failure.permanentReason) return false;
  if (isThrottled(failure)) return policy.retryOn429;
  if (failure.connectCode !== undefined) return RETRYABLE_CONNECT_CODES.has(failure.connectCode);
  return isTransientStatus(failure.status);
}

/**
 * dskit's backoff: the n-th wait (n ≥ 1) is uniform in [min·2ⁿ⁻¹, min·2ⁿ), both bounds capped at max.
 * A Retry-After from the server replaces it, capped at max too. Pure: `random` is passed in.
 */
export function retryDelay(n: number, policy: Pick<RetryPolicy, 'minBackoffMs' | 'maxBackoffMs'>, random: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxBackoffMs);
  const low = Math.min(policy.minBackoffMs * 2 ** (n - 1), policy.maxBackoffMs);
  const high = Math.min(policy.minBackoffMs * 2 ** n, policy.maxBackoffMs);
  return Math.floor(low + (high - low) * random);
}

/** `Retry-After` as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  // Only an HTTP date ("Wed, 21 Oct 2026 07:28:00 GMT"): Date.parse would also read "1.5" or "-1" as dates.
  if (!/^[A-Za-z]{3}/.test(value.trim())) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export interface Delivery {
  outcome: Outcome;
  attempts: number;
  /** Why the loop stopped short of the attempt limit, when it did. */
  stoppedBy?: 'deadline';
}

/**
 * The one retry loop. `attempt` gets the attempt number and the time it may take; the loop decides,
 * from pure functions, whether and when to try again.
 */
export async function deliverWithRetries(
  attempt: (n: number, timeoutMs: number) => Promise<Outcome>,
  policy: RetryPolicy & { remoteTimeoutMs: number },
  clock: Clock,
  deadlineAt: number | undefined,
  onRetry?: (n: number, failure: Failure, waitMs: number) => void,
): Promise<Delivery> {
  for (let n = 1; ; n++) {
    const left = deadlineAt === undefined ? Infinity : deadlineAt - clock.now();
    // Only a profile still waiting for its first turn gets here with no time left: it is not sent at all.
    if (left <= 0) return { outcome: { ok: false, kind: 'deadline', message: 'not sent: --deadline was reached before its turn' }, attempts: n - 1, stoppedBy: 'deadline' };
    const outcome = await attempt(n, Math.max(1, Math.min(policy.remoteTimeoutMs, left)));
    if (outcome.ok || !shouldRetry(outcome, policy)) return { outcome, attempts: n };
    if (policy.maxAttempts > 0 && n >= policy.maxAttempts) return { outcome, attempts: n };
    const wait = retryDelay(n, policy, clock.random(), outcome.kind === 'http' ? outcome.retryAfterMs : undefined);
    if (deadlineAt !== undefined && clock.now() + wait >= deadlineAt) return { outcome, attempts: n, stoppedBy: 'deadline' };
    onRetry?.(n, outcome, wait);
    await clock.sleep(wait);
  }
}
