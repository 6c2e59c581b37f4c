import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { Endpoint, RunConfig } from '../config/resolve.js';
import { INTERNAL_ERROR, fsProblem } from '../errors.js';
import { type PlannedProfile, overRateLimitBurst } from '../profile/plan.js';
import { withTimestamp } from '../profile/pprof.js';
import type { Protocol } from '../protocol/protocol.js';
import { protocolFor } from './protocols.js';
import { type InputProfile, InputChangedError, loadBytes } from '../sources/inputs.js';
import type { Authorizer } from '../transport/authorizer.js';
import { type AttemptContext, attemptOnce } from './attempt.js';
import type { EndpointHealth } from './endpoint-health.js';
import { type Failure, type Outcome, describeFailure } from './outcome.js';
import { mapPool } from './pool.js';
import type { EndpointResult, ProfileResult } from './result.js';
import { type Delivery, deliverWithRetries, endpointDownCause, isRejection, isThrottled, stoppedOutcome } from './retry.js';
import type { Spool, SpoolEntry } from './spool.js';

/** How one endpoint is reached: its transport and its credentials. */
export interface Connection {
  dispatcher: Dispatcher;
  authorizer: Authorizer;
}

/** One profile to deliver: a new input goes to every endpoint, a spool entry to its own endpoint only. */
export interface Job {
  profile: PlannedProfile<InputProfile>;
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
  onRetry?: (profile: PlannedProfile<InputProfile>, endpoint: Endpoint, attempt: number, failure: Failure, waitMs: number) => void;
}

/**
 * Every job to its endpoints. Each endpoint works through the jobs on its own pool, so a slow or failing
 * endpoint never holds up another; a profile's bytes are read when its turn comes, so memory grows with
 * --concurrency, not with the number of inputs. Results come back in job order.
 */
export async function deliver(jobs: Job[], config: RunConfig, deps: DeliverDeps): Promise<ProfileResult[]> {
  const perEndpoint = await Promise.all(
    config.endpoints.map(async (endpoint) => {
      const ctx: AttemptContext = {
        ...deps.connectionFor(endpoint),
        now: deps.clock.now,
        signal: deps.inFlight,
        ...(deps.log && { log: (line: string) => deps.log?.(`[${endpoint.name}] ${line}`) }),
      };
      const mine = jobs.map((job, i) => [job, i] as const).filter(([job]) => !job.fromSpool || job.fromSpool.endpoint.name === endpoint.name);
      const results = new Map<number, EndpointResult>();
      await mapPool(mine, config.concurrency, async ([job, i]) => {
        // A bug while sending one profile must not take the other profiles' and endpoints' results with it.
        const result = await deliverOne(job, endpoint, protocolFor(endpoint.protocol), config, ctx, deps).catch(
          (err: Error): EndpointResult => ({ endpoint: endpoint.name, state: 'not-sent', ok: false, attempts: 0, internal: true, error: `${INTERNAL_ERROR}: ${err?.message ?? err}` }),
        );
        results.set(i, result);
        deps.onResult?.(job.profile.input.name, result);
      });
      return results;
    }),
  );
  return jobs.map((job, i) => ({
    profile: job.profile.input.name,
    labels: job.profile.labels,
    bytes: job.profile.input.size,
    ...(job.fromSpool && { spoolEntry: job.fromSpool.id }),
    endpoints: perEndpoint.flatMap((results) => results.get(i) ?? []),
  }));
}

async function deliverOne(job: Job, endpoint: Endpoint, protocol: Protocol, config: RunConfig, ctx: AttemptContext, deps: DeliverDeps): Promise<EndpointResult> {
  const { profile } = job;
  const health = deps.healthFor(endpoint);
  // No new attempt once the run is stopped or the endpoint is down; a wait in between ends then too.
  const signal = AbortSignal.any([deps.signal, health.signal]);
  let bytes: Uint8Array | undefined;
  let delivery: Delivery;
  if (signal.aborted) delivery = { outcome: stoppedOutcome(signal.reason), attempts: 0 };
  else {
    try {
      bytes = await loadBytes(profile.input, deps.signal);
    } catch (err) {
      // A file rewritten or removed after validation is the user's world, not a bug; anything else is one.
      if (err instanceof InputChangedError) return settle(job, endpoint, { endpoint: endpoint.name, state: 'not-sent', ok: false, attempts: 0, error: err.message }, deps);
      if (!deps.signal.aborted) throw err;
    }
    delivery = bytes ? await sendWithRetries(bytes, job, endpoint, protocol, config, ctx, deps, signal) : { outcome: stoppedOutcome(deps.signal.reason), attempts: 0 };
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
    error: `${rejected ? 'refused by the server' : 'push failed'}: [POST] "${endpoint.url}${protocol.path}": ${describeFailure(outcome, attempts, stoppedBy)}`,
    failure: outcome,
  };
  return settle(job, endpoint, result, deps, bytes);
}

/** The protocol's request, made once, through the one retry loop under the endpoint's shared throttle. */
function sendWithRetries(bytes: Uint8Array, job: Job, endpoint: Endpoint, protocol: Protocol, config: RunConfig, ctx: AttemptContext, deps: DeliverDeps, signal: AbortSignal): Promise<Delivery> {
  const { profile } = job;
  const health = deps.healthFor(endpoint);
  const now = deps.clock.now();
  // A JFR recording is sent as recorded: /ingest moves its time range instead.
  const sent = config.overrideTimestamp && profile.input.format !== 'jfr' ? withTimestamp(bytes, profile.input.gzipped, now) : bytes;
  // The facts of the bytes sent: /ingest puts the profile's time in its query too.
  const facts = config.overrideTimestamp ? { ...profile.input, timeNanos: BigInt(now) * 1_000_000n } : profile.input;
  const prepared = protocol.prepare({ labels: profile.labels, bytes: sent, id: randomUUID(), facts, nowMs: now, format: profile.input.format === 'jfr' ? 'jfr' : 'pprof', overrideTimestamp: config.overrideTimestamp });
  const attempt = async (_n: number, timeoutMs: number): Promise<Outcome> => {
    const outcome = await attemptOnce(endpoint, protocol, prepared, timeoutMs, ctx);
    if (!outcome.ok && outcome.kind === 'http' && isThrottled(outcome) && overRateLimitBurst(profile.input, profile.labels))
      return { ...outcome, permanentReason: 'the profile is above the 2 MiB rate-limit burst, so waiting cannot help' };
    return outcome;
  };
  return deliverWithRetries(
    attempt,
    { ...endpoint.retry, remoteTimeoutMs: endpoint.remoteTimeoutMs },
    { clock: deps.clock, signal, throttle: health, ...(deps.deadline && { deadline: deps.deadline }) },
    (n, failure, wait) => deps.onRetry?.(profile, endpoint, n, failure, wait),
  );
}

/**
 * The spool's part: a delivered entry leaves it, a rejected one moves to rejected/, one still not
 * delivered stays; a new profile not delivered is written to it. A spool that cannot be written is said,
 * and the profile stays `not-sent`: it is never reported as spooled when it is not.
 */
async function settle(job: Job, endpoint: Endpoint, result: EndpointResult, deps: DeliverDeps, bytes?: Uint8Array): Promise<EndpointResult> {
  const spool = deps.spool;
  if (!spool) return result;
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
    if (result.state !== 'not-sent' || result.internal) return result;
    // A profile whose turn never came was not read yet: it is now, to be kept.
    const kept = bytes ?? (await loadBytes(job.profile.input));
    await spool.put({ endpoint: { name: endpoint.name, url: endpoint.url }, protocol: endpoint.protocol, labels: job.profile.labels, source: job.profile.input.name, sha256: job.profile.input.sha256, size: kept.length, reason: result.error ?? '' }, kept);
    return { ...result, state: 'spooled' };
  } catch (err) {
    return { ...result, state: result.state === 'delivered' || result.state === 'rejected' ? result.state : 'not-sent', error: `${result.error ?? 'delivered'}; the spool could not be written (${fsProblem(err)})` };
  }
}
