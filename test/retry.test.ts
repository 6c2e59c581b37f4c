import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Failure, HttpFailure, Outcome } from '../src/delivery/outcome.js';
import { type Clock, systemClock } from '../src/clock.js';
import { describeFailure } from '../src/delivery/outcome.js';
import { RunStopped } from '../src/errors.js';
import { deliverWithRetries, isThrottled, parseRetryAfter, retryDelay, shouldRetry } from '../src/delivery/retry.js';
import { isTransientStatus } from '../src/transport/status.js';

const http = (status: number, connectCode?: string, extra: Partial<HttpFailure> = {}): HttpFailure => ({
  ok: false, kind: 'http', status, statusText: '', detail: '', ...(connectCode && { connectCode }), ...extra,
});
const net = (retryable: boolean): Failure => ({ ok: false, kind: 'network', code: 'X', message: 'x', retryable });

describe('shouldRetry (PROTOCOL.md §4)', () => {
  const cases: Array<[string, Failure, boolean, boolean]> = [
    ['connect unavailable (503)', http(503, 'unavailable'), true, true],
    ['connect internal (500)', http(500, 'internal'), true, true],
    ['connect unknown', http(500, 'unknown'), true, true],
    ['connect data_loss', http(500, 'data_loss'), true, true],
    ['connect deadline_exceeded (504)', http(504, 'deadline_exceeded'), true, true],
    ['connect aborted (409)', http(409, 'aborted'), true, true],
    ['connect invalid_argument (400)', http(400, 'invalid_argument'), true, false],
    ['connect unauthenticated (401)', http(401, 'unauthenticated'), true, false],
    ['connect permission_denied (403)', http(403, 'permission_denied'), true, false],
    ['connect not_found (404)', http(404, 'not_found'), true, false],
    ['connect unimplemented (501)', http(501, 'unimplemented'), true, false],
    ['connect failed_precondition', http(400, 'failed_precondition'), true, false],
    ['connect already_exists (409)', http(409, 'already_exists'), true, false],
    ['connect resource_exhausted, retry_on_http_429 on', http(429, 'resource_exhausted'), true, true],
    ['connect resource_exhausted, retry_on_http_429 off', http(429, 'resource_exhausted'), false, false],
    ['plain 429, retry_on_http_429 on', http(429), true, true],
    ['plain 429, retry_on_http_429 off', http(429), false, false],
    ['plain 502 from a proxy', http(502), true, true],
    ['plain 503', http(503), true, true],
    ['plain 408', http(408), true, true],
    ['plain 400', http(400), true, false],
    ['plain 404 from an ingress', http(404), true, false],
    ['plain 413', http(413), true, false],
    ['unfollowed 308', http(308), true, false],
    ['429 for a profile over the rate-limit burst', http(429, 'resource_exhausted', { permanentReason: 'too big' }), true, false],
    ['retryable network error', net(true), true, true],
    ['permanent network error (TLS)', net(false), true, false],
    ['token endpoint 5xx', { ok: false, kind: 'auth', message: 'x', retryable: true }, true, true],
    ['token endpoint 401', { ok: false, kind: 'auth', message: 'x', retryable: false }, true, false],
    ['the run was stopped (deadline or interrupt)', { ok: false, kind: 'stopped', why: 'deadline', message: 'x' }, true, false],
  ];
  for (const [name, failure, retryOn429, expected] of cases)
    test(`${name} → ${expected ? 'retry' : 'stop'}`, () => assert.equal(shouldRetry(failure, { retryOn429 }), expected));
});

describe('isTransientStatus and isThrottled (shared by the server, proxy and token endpoint paths)', () => {
  for (const [status, expected] of [[408, true], [429, true], [500, true], [503, true], [599, true], [400, false], [401, false], [404, false], [413, false], [307, false]] as const)
    test(`${status} → ${expected ? 'transient' : 'final'}`, () => assert.equal(isTransientStatus(status), expected));
  const cases: Array<[string, Failure, boolean]> = [
    ['Connect resource_exhausted', http(429, 'resource_exhausted'), true],
    ['plain 429', http(429), true],
    ['429 with another Connect code', http(429, 'unavailable'), false],
    ['503', http(503, 'unavailable'), false],
    ['network error', net(true), false],
  ];
  for (const [name, failure, expected] of cases) test(`${name} → ${expected}`, () => assert.equal(isThrottled(failure), expected));
});

describe('retryDelay: dskit backoff, uniform in [min·2ⁿ⁻¹, min·2ⁿ) capped at max', () => {
  const policy = { minBackoffMs: 500, maxBackoffMs: 5000 };
  const cases: Array<[number, number, number | undefined, number]> = [
    [1, 0, undefined, 500],
    [1, 0.999, undefined, 999],
    [2, 0, undefined, 1000],
    [2, 0.5, undefined, 1500],
    [3, 0, undefined, 2000],
    [4, 0, undefined, 4000],
    [4, 0.5, undefined, 4500], // high bound capped at 5000
    [5, 0, undefined, 5000], // both bounds capped
    [30, 0.7, undefined, 5000], // no overflow to Infinity/NaN
    [1, 0.5, 2000, 2000], // Retry-After replaces the backoff
    [1, 0.5, 60_000, 5000], // ...capped at max
    [3, 0.5, 0, 0],
  ];
  for (const [n, random, retryAfter, expected] of cases)
    test(`n=${n} random=${random} retryAfter=${retryAfter} → ${expected}`, () => assert.equal(retryDelay(n, policy, random, retryAfter), expected));
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T10:00:00Z');
  for (const [value, expected] of [
    ['5', 5000],
    ['0', 0],
    ['Wed, 25 Nov 2026 10:00:30 GMT', 30_000],
    ['Wed, 25 Nov 2026 09:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ] as const)
    test(`${JSON.stringify(value)} → ${expected}`, () => assert.equal(parseRetryAfter(value, now), expected));
});

/** A clock that only moves when the loop sleeps, so retry tests take no time at all. */
function fakeClock(): Clock & { sleeps: number[] } {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return { sleeps, now: () => t, random: () => 0, sleep: async (ms: number) => void (sleeps.push(ms), (t += ms)) };
}
const NEVER = new AbortController().signal;
/** The loop's run: a fake clock, a signal that never aborts unless given, and a deadline when given. */
const runOf = (clock: Clock, deadlineAt?: number, signal: AbortSignal = NEVER) => ({ clock, signal, ...(deadlineAt !== undefined && { deadline: { at: deadlineAt, by: '--deadline 5s' } }) });

describe('deliverWithRetries, the one retry loop', () => {
  const policy = { maxAttempts: 10, minBackoffMs: 100, maxBackoffMs: 1000, retryOn429: true, remoteTimeoutMs: 10_000 };
  const scripted = (outcomes: Outcome[]) => {
    const calls: number[] = [];
    return { calls, attempt: async (n: number, timeout: number) => (calls.push(timeout), outcomes[n - 1] ?? { ok: true as const, status: 200 }) };
  };

  test('503, 503, 200: three attempts, waits 100 then 200', async () => {
    const clock = fakeClock();
    const { attempt, calls } = scripted([http(503, 'unavailable'), http(503, 'unavailable')]);
    const d = await deliverWithRetries(attempt, policy, runOf(clock));
    assert.deepEqual([d.outcome.ok, d.attempts, calls.length, clock.sleeps], [true, 3, 3, [100, 200]]);
  });
  test('400 is not retried', async () => {
    const clock = fakeClock();
    const d = await deliverWithRetries(scripted([http(400, 'invalid_argument')]).attempt, policy, runOf(clock));
    assert.deepEqual([d.outcome.ok, d.attempts, clock.sleeps], [false, 1, []]);
  });
  test('maxAttempts counts attempts in total', async () => {
    const clock = fakeClock();
    const { attempt, calls } = scripted(Array(20).fill(http(503)));
    const d = await deliverWithRetries(attempt, { ...policy, maxAttempts: 3 }, runOf(clock));
    assert.deepEqual([d.attempts, calls.length, clock.sleeps.length], [3, 3, 2]);
  });
  test('maxAttempts 0 retries until the deadline, then says so', async () => {
    const clock = fakeClock();
    const d = await deliverWithRetries(scripted(Array(100).fill(http(503))).attempt, { ...policy, maxAttempts: 0 }, runOf(clock, clock.now() + 5000));
    assert.equal(d.stoppedBy, 'stopped by --deadline 5s');
    assert.ok(d.attempts > 3 && d.attempts < 100, `attempts ${d.attempts}`);
  });
  test('each attempt gets the remote timeout, trimmed to what the deadline leaves', async () => {
    const clock = fakeClock();
    const { attempt, calls } = scripted([http(503), http(503)]);
    await deliverWithRetries(attempt, { ...policy, remoteTimeoutMs: 250 }, runOf(clock, clock.now() + 400));
    assert.deepEqual(calls, [250, 250, 100]);
  });
  test('Retry-After is honoured', async () => {
    const clock = fakeClock();
    await deliverWithRetries(scripted([http(429, 'resource_exhausted', { retryAfterMs: 700 })]).attempt, policy, runOf(clock));
    assert.deepEqual(clock.sleeps, [700]);
  });
  test('a stopped run starts no attempt: not sent, 0 attempts', async () => {
    const clock = fakeClock();
    const stop = new AbortController();
    stop.abort(new RunStopped('interrupted', 'SIGINT'));
    const { attempt, calls } = scripted([]);
    const d = await deliverWithRetries(attempt, policy, runOf(clock, undefined, stop.signal));
    assert.deepEqual([d.attempts, calls.length, d.outcome.ok, !d.outcome.ok && describeFailure(d.outcome, d.attempts)], [0, 0, false, 'not sent: interrupted (SIGINT) before its turn']);
  });
  test('an abort during the backoff wait ends it at once, keeping the last failure (real clock)', async () => {
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(new RunStopped('interrupted', 'SIGTERM')), 20);
    const d = await deliverWithRetries(scripted([http(503, 'unavailable')]).attempt, { ...policy, minBackoffMs: 60_000, maxBackoffMs: 60_000 }, runOf(systemClock, undefined, stop.signal));
    assert.ok(Date.now() - started < 5_000, 'the 60 s wait was cut short');
    assert.deepEqual([d.attempts, d.outcome.ok, d.stoppedBy], [1, false, 'interrupted (SIGTERM)']);
  });
  test('a stopped attempt is never retried', async () => {
    const clock = fakeClock();
    const stopped: Failure = { ok: false, kind: 'stopped', why: 'deadline', message: 'stopped by --deadline 1s' };
    const { attempt, calls } = scripted([stopped]);
    const d = await deliverWithRetries(attempt, policy, runOf(clock));
    assert.deepEqual([d.attempts, calls.length, clock.sleeps], [1, 1, []]);
  });
});

describe('an attempt the deadline cut short', () => {
  test('a timeout at the deadline is reported as the deadline, whichever timer fired first', async () => {
    let t = 0;
    const clock: Clock = { now: () => t, random: () => 0, sleep: async () => {} };
    const timedOut: Failure = { ok: false, kind: 'network', code: 'TimeoutError', message: 'timed out after 85ms', retryable: true };
    const d = await deliverWithRetries(
      async (_n, timeout) => ((t += timeout), timedOut),
      { maxAttempts: 3, minBackoffMs: 1, maxBackoffMs: 1, retryOn429: true, remoteTimeoutMs: 10_000 },
      { clock, signal: new AbortController().signal, deadline: { at: 85, by: '--deadline 85ms' } },
    );
    assert.deepEqual([d.attempts, !d.outcome.ok && describeFailure(d.outcome, d.attempts, d.stoppedBy)], [1, 'stopped by --deadline 85ms during attempt 1']);
  });
});
