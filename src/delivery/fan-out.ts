import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { Endpoint, RetryPolicy, RunConfig } from '../config/resolve.js';
import { INTERNAL_ERROR, fsProblem } from '../errors.js';
import { type PlannedProfile, overRateLimitBurst } from '../profile/plan.js';
import type { Protocol } from '../protocol/protocol.js';
import { protocolFor } from './protocols.js';
import { InputChangedError, type SendInput, loadBytes } from '../sources/inputs.js';
import type { Authorizer } from '../transport/authorizer.js';
import { type AttemptContext, attemptOnce } from './attempt.js';
import type { EndpointHealth } from './endpoint-health.js';
import { type Failure, type Outcome, describeFailure } from './outcome.js';
import { mapPool } from './pool.js';
import { AlikeResults, type EndpointResult, type ProfileResult } from './result.js';
import { type Delivery, type RetryRun, deliverWithRetries, endpointDownCause, isRejection, isThrottled, stoppedOutcome } from './retry.js';
import { type RequestHandle, SharedRequests } from './shared-requests.js';
import type { Spool, SpoolEntry } from './spool.js';

/** How one endpoint is reached: its transport and its credentials. */
export interface Connection {
  dispatcher: Dispatcher;
  authorizer: Authorizer;
}

/**
 * One profile to deliver: a new input (its plan, as it is: no wrapper per profile in a bulk run) goes to
 * every endpoint, a spool entry to its own endpoint only.
 */
export interface Job extends PlannedProfile<SendInput> {
  fromSpool?: SpoolEntry;
}

/** What delivery needs from outside, so that tests and the library API can supply their own. */
export interface DeliverDeps {
  clock: Clock;
  /** When it aborts (the deadline, an interrupt) no attempt starts and every wait ends. */
  signal: AbortSignal;
  /** When it aborts, requests in flight end too: at the deadline, or a short grace after an interrupt. */
  inFlight: AbortSignal;
  /** When the run's --deadline falls, as a clock time. */
  deadline?: { at: number; by: string };
  connectionFor(endpoint: Endpoint): Connection;
  /** Shared by every job of the run for that endpoint, across calls. */
  healthFor(endpoint: Endpoint): EndpointHealth;
  /** Where what is not delivered goes (--spool-dir). */
  spool?: Spool;
  log?: (line: string) => void;
  /** Each result as it happens, under the profile's name. */
  onResult?: (profile: string, result: EndpointResult) => void;
  onRetry?: (profile: PlannedProfile<SendInput>, endpoint: Endpoint, attempt: number, failure: Failure, waitMs: number) => void;
  /** How a profile's bytes are had again at send time (tests count reads through it); `loadBytes` unless given. */
  readBytes?: (input: SendInput, signal?: AbortSignal) => Promise<Uint8Array>;
}

/**
 * Every job to its endpoints. Each endpoint works through the jobs on its own pool, so a slow or failing
 * endpoint never holds up another; a profile's bytes are read when its turn comes, so memory grows with
 * --concurrency, not with the number of inputs. The endpoints share each profile's request: it is read,
 * checked and encoded once per run (per protocol), and let go when the last endpoint is done with it.
 * Results come back in job order.
 */
export async function deliver(jobs: Job[], config: RunConfig, deps: DeliverDeps): Promise<ProfileResult[]> {
  const forEndpoint = (job: Job, endpoint: Endpoint) => !job.fromSpool || job.fromSpool.endpoint.name === endpoint.name;
  const requests = new SharedRequests(
    jobs.map((job) => config.endpoints.reduce((n, e) => n + (forEndpoint(job, e) ? 1 : 0), 0)),
    deps.readBytes ?? loadBytes,
  );
  const alike = new AlikeResults();
  const perEndpoint = await Promise.all(
    config.endpoints.map(async (endpoint) => {
      const lane = laneFor(endpoint, deps);
      const mine: number[] = [];
      for (let i = 0; i < jobs.length; i++) if (forEndpoint(jobs[i] as Job, endpoint)) mine.push(i);
      const results = new Array<EndpointResult | undefined>(jobs.length);
      await mapPool(mine, config.concurrency, async (i) => {
        const job = jobs[i] as Job;
        const request = requests.take(i, job);
        let result: EndpointResult;
        try {
          result = await deliverOne(job, request, lane, config, deps);
        } catch (err) {
          // A bug while sending one profile must not take the other profiles' and endpoints' results with it.
          result = { endpoint: endpoint.name, state: 'not-sent', ok: false, attempts: 0, internal: true, error: `${INTERNAL_ERROR}: ${(err as Error)?.message ?? err}` };
        } finally {
          request.done();
        }
        results[i] = alike.share(result);
        deps.onResult?.(job.input.name, result);
      });
      return results;
    }),
  );
  return jobs.map((job, i) => ({
    profile: job.input.name,
    labels: job.labels,
    bytes: job.input.size,
    ...(job.fromSpool && { spoolEntry: job.fromSpool.id }),
    endpoints: alike.list(perEndpoint.flatMap((results) => results[i] ?? [])),
  }));
}

/** What one endpoint's tasks share, made once per endpoint rather than once per profile. */
interface Lane {
  endpoint: Endpoint;
  protocol: Protocol;
  ctx: AttemptContext;
  health: EndpointHealth;
  policy: RetryPolicy & { remoteTimeoutMs: number };
  /** The retry loop's run: its signal is the run's stop and the endpoint's going down together. */
  retryRun: RetryRun;
}

function laneFor(endpoint: Endpoint, deps: DeliverDeps): Lane {
  const health = deps.healthFor(endpoint);
  return {
    endpoint,
    protocol: protocolFor(endpoint.protocol),
    ctx: {
      ...deps.connectionFor(endpoint),
      now: deps.clock.now,
      signal: deps.inFlight,
      ...(deps.log && { log: (line: string) => deps.log?.(`[${endpoint.name}] ${line}`) }),
    },
    health,
    policy: { ...endpoint.retry, remoteTimeoutMs: endpoint.remoteTimeoutMs },
    // No new attempt once the run is stopped or the endpoint is down; a wait in between ends then too.
    retryRun: { clock: deps.clock, signal: AbortSignal.any([deps.signal, health.signal]), throttle: health, ...(deps.deadline && { deadline: deps.deadline }) },
  };
}

async function deliverOne(job: Job, request: RequestHandle, lane: Lane, config: RunConfig, deps: DeliverDeps): Promise<EndpointResult> {
  const { endpoint, protocol, health } = lane;
  // As the run's signal and the endpoint's together would say now: the run's stop first.
  const stopped = deps.signal.aborted ? deps.signal : health.signal.aborted ? health.signal : undefined;
  let bytes: Uint8Array | undefined;
  let delivery: Delivery;
  if (stopped) delivery = { outcome: stoppedOutcome(stopped.reason), attempts: 0 };
  else {
    try {
      bytes = await request.bytes(deps.signal);
    } catch (err) {
      // A file rewritten or removed after validation is the user's world, not a bug; anything else is one.
      if (err instanceof InputChangedError) return settle(job, endpoint, { endpoint: endpoint.name, state: 'not-sent', ok: false, attempts: 0, error: err.message }, deps);
      if (!deps.signal.aborted) throw err;
    }
    delivery = bytes ? await sendWithRetries(request, bytes, job, lane, config, deps) : { outcome: stoppedOutcome(deps.signal.reason), attempts: 0 };
  }
  const { outcome, attempts, stoppedBy } = delivery;
  if (outcome.ok) return settle(job, endpoint, { endpoint: endpoint.name, state: 'delivered', ok: true, status: outcome.status, attempts }, deps);
  // Only a failure that had its full say (not one cut short by a stop) tells about the endpoint.
  const cause = stoppedBy === undefined ? endpointDownCause(outcome) : undefined;
  if (cause !== undefined) health.markDown(cause);
  const rejected = isRejection(outcome);
  const result: EndpointResult = {
    endpoint: endpoint.name,
    state: rejected ? 'rejected' : 'not-sent',
    ok: false,
    ...(outcome.kind === 'http' && { status: outcome.status }),
    attempts,
    // A profile that never got an attempt was not pushed at all: said as such, without a request to name.
    error: attempts === 0 ? describeFailure(outcome, 0, stoppedBy) : `${rejected ? 'refused by the server' : 'push failed'}: [POST] "${endpoint.url}${protocol.path}": ${describeFailure(outcome, attempts, stoppedBy)}`,
    failure: outcome,
  };
  return settle(job, endpoint, result, deps, bytes ?? request.loaded());
}

/** The protocol's request, made once per profile, through the one retry loop under the endpoint's shared throttle. */
function sendWithRetries(request: RequestHandle, bytes: Uint8Array, job: Job, lane: Lane, config: RunConfig, deps: DeliverDeps): Promise<Delivery> {
  const { endpoint, protocol, ctx } = lane;
  const prepared = request.prepared(protocol, bytes, job, config.overrideTimestamp, deps.clock.now());
  const attempt = async (_n: number, timeoutMs: number): Promise<Outcome> => {
    const outcome = await attemptOnce(endpoint, protocol, prepared, timeoutMs, ctx);
    if (!outcome.ok && outcome.kind === 'http' && isThrottled(outcome) && overRateLimitBurst(job.input, job.labels))
      return { ...outcome, permanentReason: 'the profile is above the 2 MiB rate-limit burst, so waiting cannot help' };
    return outcome;
  };
  return deliverWithRetries(attempt, lane.policy, lane.retryRun, deps.onRetry && ((n, failure, wait) => deps.onRetry?.(job, endpoint, n, failure, wait)));
}

/**
 * The spool's part: a delivered entry leaves it, a rejected one moves to rejected/, one still not
 * delivered stays; a new profile not delivered is written to it. A spool that cannot be written is said,
 * and the profile stays `not-sent`: it is never reported as spooled when it is not.
 */
function settle(job: Job, endpoint: Endpoint, result: EndpointResult, deps: DeliverDeps, bytes?: Uint8Array): EndpointResult | Promise<EndpointResult> {
  // Without a spool there is nothing to wait for: no promise a result (a bulk run settles thousands).
  return deps.spool ? settleInSpool(deps.spool, job, endpoint, result, deps, bytes) : result;
}

async function settleInSpool(spool: Spool, job: Job, endpoint: Endpoint, result: EndpointResult, deps: DeliverDeps, bytes?: Uint8Array): Promise<EndpointResult> {
  const { fromSpool } = job;
  try {
    if (fromSpool) {
      if (result.state === 'delivered') await spool.remove(fromSpool);
      else if (result.state === 'rejected') await spool.reject(fromSpool, result.error ?? '');
      else {
        await spool.release(fromSpool, result.error ?? '');
        // Still waiting in the spool, as before this run.
        if (!result.internal) return { ...result, state: 'spooled' };
      }
      return result;
    }
    if ((result.state !== 'not-sent' && result.state !== 'rejected') || result.internal) return result;
    // A profile whose turn never came was not read yet: it is now, to be kept.
    const kept = bytes ?? (await (deps.readBytes ?? loadBytes)(job.input));
    const record = { endpoint: { name: endpoint.name, url: endpoint.url }, protocol: endpoint.protocol, labels: job.labels, source: job.input.name, sha256: job.input.sha256, size: kept.length, reason: result.error ?? '' };
    // Refused for good: kept in rejected/ with the answer, so that a cron run over a dump folder does not send it again.
    if (result.state === 'rejected') {
      await spool.keepRejected(record, kept, result.error ?? '');
      return { ...result, keptRejected: true };
    }
    await spool.put(record, kept);
    return { ...result, state: 'spooled' };
  } catch (err) {
    return { ...result, state: result.state === 'delivered' || result.state === 'rejected' ? result.state : 'not-sent', error: `${result.error ?? 'delivered'}; the spool could not be written (${fsProblem(err)})` };
  }
}
