import type { Clock } from '../clock.js';
import type { RetryPolicy } from '../config/resolve.js';
import { RunStopped } from '../errors.js';
import { CONNECT_CODES, isConnectCode } from '../protocol/connect.js';
import { isTransientStatus } from '../transport/status.js';
import type { Failure, Outcome, StoppedFailure } from './outcome.js';

/** The server asked us to slow down: Connect `resource_exhausted`, or a plain 429 from something else. */
export function isThrottled(failure: Failure): boolean {
  return failure.kind === 'http' && (failure.connectCode === 'resource_exhausted' || (failure.connectCode === undefined && failure.status === 429));
}

/** Whether the same request could succeed later (PROTOCOL.md §4). Pure. */
export function shouldRetry(failure: Failure, policy: Pick<RetryPolicy, 'retryOn429'>): boolean {
  if (failure.kind === 'stopped') return false;
  if (failure.kind !== 'http') return failure.retryable;
  if (failure.permanentReason) return false;
  if (isThrottled(failure)) return policy.retryOn429;
  if (failure.connectCode !== undefined && isConnectCode(failure.connectCode)) return CONNECT_CODES[failure.connectCode].retryable;
  return isTransientStatus(failure.status);
}

/**
 * The server refused this profile itself (400 invalid, 413 too large, 422, or a 429 that waiting cannot
 * turn into a 200): sending it again as it is would be refused again. Pure.
 */
export function isRejection(failure: Failure): boolean {
  return failure.kind === 'http' && (failure.permanentReason !== undefined || failure.status === 400 || failure.status === 413 || failure.status === 422);
}

/**
 * After a profile's last attempt: whether its failure says the endpoint itself is down, unreachable or
 * misconfigured, so that every other profile for it would fail the same way (and is not attempted). The
 * cause is what the result lines then name. Pure.
 */
export function endpointDownCause(failure: Failure): string | undefined {
  if (failure.kind === 'stopped' || isRejection(failure)) return undefined;
  if (failure.kind === 'http') return `${failure.status} ${failure.statusText}`.trim() + (failure.connectCode ? ` (${failure.connectCode})` : '');
  return failure.message;
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

/** A throttle shared by every profile bound for one endpoint: a Retry-After applies to the endpoint. */
export interface SharedThrottle {
  pausedUntil(): number;
  pause(untilMs: number): void;
}

/** What the loop runs under: time, the run's signal, and when the run's --deadline falls. */
export interface RetryRun {
  clock: Clock;
  /** Aborted by the run's --deadline, by the caller, or when the endpoint is down: no attempt starts after it, no wait goes on. */
  signal: AbortSignal;
  /** The deadline as a clock time, so that a wait that would end past it is not begun. */
  deadline?: { at: number; by: string };
  throttle?: SharedThrottle;
}

export interface Delivery {
  outcome: Outcome;
  attempts: number;
  /** Set when the run was cut short after a failed attempt: the failure stands, and this says why no retry came. */
  stoppedBy?: string;
}

/** An abort reason as an outcome. */
export function stoppedOutcome(reason: unknown): StoppedFailure {
  const stop = RunStopped.from(reason);
  return { ok: false, kind: 'stopped', why: stop.why, message: stop.message };
}

/**
 * The one retry loop. `attempt` gets the attempt number and the time it may take; the loop decides,
 * from pure functions, whether and when to try again. Every wait ends when `run.signal` aborts.
 */
export async function deliverWithRetries(
  attempt: (n: number, timeoutMs: number) => Promise<Outcome>,
  policy: RetryPolicy & { remoteTimeoutMs: number },
  run: RetryRun,
  onRetry?: (n: number, failure: Failure, waitMs: number) => void,
): Promise<Delivery> {
  const { clock, signal, deadline, throttle } = run;
  let last: Failure | undefined;
  const stopped = (reason: unknown, n: number): Delivery => {
    const stop = stoppedOutcome(reason);
    return last ? { outcome: last, attempts: n - 1, stoppedBy: stop.message } : { outcome: stop, attempts: 0 };
  };
  for (let n = 1; ; n++) {
    // Another profile was told to slow down: so is this one, before its next request to that endpoint.
    const paused = (throttle?.pausedUntil() ?? 0) - clock.now();
    if (paused > 0 && !signal.aborted) {
      if (deadline !== undefined && clock.now() + paused >= deadline.at) return stopped(new RunStopped('deadline', deadline.by), n);
      try {
        await clock.sleep(paused, signal);
      } catch (err) {
        if (!signal.aborted) throw err;
      }
    }
    const left = deadline === undefined ? Infinity : deadline.at - clock.now();
    if (signal.aborted) return stopped(signal.reason, n);
    if (left <= 0) return stopped(new RunStopped('deadline', (deadline as { by: string }).by), n);
    const outcome = await attempt(n, Math.max(1, Math.min(policy.remoteTimeoutMs, left)));
    // An attempt whose time the deadline cut short, and that ran out of it, was stopped by the deadline:
    // its own timer and the deadline's fire together, and either may be first.
    if (!outcome.ok && outcome.kind === 'network' && deadline !== undefined && left < policy.remoteTimeoutMs && clock.now() >= deadline.at) {
      const stop = stoppedOutcome(new RunStopped('deadline', deadline.by));
      return last ? { outcome: last, attempts: n, stoppedBy: `${stop.message} during attempt ${n}` } : { outcome: stop, attempts: n };
    }
    // Cut short in flight after failures: the failures say why it was not delivered, the stop why no more came.
    if (!outcome.ok && outcome.kind === 'stopped' && last) return { outcome: last, attempts: n, stoppedBy: `${outcome.message} during attempt ${n}` };
    if (outcome.ok || !shouldRetry(outcome, policy)) return { outcome, attempts: n };
    if (policy.maxAttempts > 0 && n >= policy.maxAttempts) return { outcome, attempts: n };
    last = outcome;
    const wait = retryDelay(n, policy, clock.random(), outcome.kind === 'http' ? outcome.retryAfterMs : undefined);
    if (isThrottled(outcome)) throttle?.pause(clock.now() + wait);
    if (deadline !== undefined && clock.now() + wait >= deadline.at) return { outcome, attempts: n, stoppedBy: `stopped by ${deadline.by}` };
    onRetry?.(n, outcome, wait);
    try {
      await clock.sleep(wait, signal);
    } catch (err) {
      if (!signal.aborted) throw err;
      return { outcome, attempts: n, stoppedBy: stoppedOutcome(signal.reason).message };
    }
  }
}
