import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import type { Endpoint, RunConfig } from '../config/resolve.js';
import { INTERNAL_ERROR } from '../errors.js';
import { type PlannedProfile, overRateLimitBurst } from '../profile/plan.js';
import { withTimestamp } from '../profile/pprof.js';
import type { Protocol } from '../protocol/protocol.js';
import { PUSH_API } from '../protocol/push-api.js';
import { type InputProfile, InputChangedError, loadBytes } from '../sources/inputs.js';
import type { Authorizer } from '../transport/authorizer.js';
import { type AttemptContext, attemptOnce } from './attempt.js';
import { type Failure, type Outcome, describeFailure } from './outcome.js';
import { mapPool } from './pool.js';
import type { EndpointResult, ProfileResult } from './result.js';
import { deliverWithRetries, isThrottled, stoppedOutcome } from './retry.js';

/** How one endpoint is reached: its transport and its credentials. */
export interface Connection {
  dispatcher: Dispatcher;
  authorizer: Authorizer;
}

/** What delivery needs from outside, so that tests and the library API can supply their own. */
export interface DeliverDeps {
  clock: Clock;
  /** The run's signal, already bounded by its --deadline: every wait of every attempt ends with it. */
  signal: AbortSignal;
  /** When the run's --deadline falls, as a clock time. */
  deadline?: { at: number; by: string };
  connectionFor(endpoint: Endpoint): Connection;
  log?: (line: string) => void;
  onResult?: (profile: PlannedProfile<InputProfile>, result: EndpointResult) => void;
  onRetry?: (profile: PlannedProfile<InputProfile>, endpoint: Endpoint, attempt: number, failure: Failure, waitMs: number) => void;
}

/**
 * Every profile to every endpoint. Each endpoint works through the profiles on its own pool, so a slow
 * or failing endpoint never holds up another; a profile's bytes are read when its turn comes, so memory
 * grows with --concurrency, not with the number of inputs.
 */
export async function deliver(profiles: PlannedProfile<InputProfile>[], config: RunConfig, deps: DeliverDeps): Promise<ProfileResult[]> {
  const perEndpoint = await Promise.all(
    config.endpoints.map((endpoint) => {
      const ctx: AttemptContext = {
        ...deps.connectionFor(endpoint),
        now: deps.clock.now,
        signal: deps.signal,
        ...(deps.log && { log: (line: string) => deps.log?.(`[${endpoint.name}] ${line}`) }),
      };
      return mapPool(profiles, config.concurrency, async (profile) => {
        // A bug while sending one profile must not take the other profiles' and endpoints' results with it.
        const result = await deliverOne(profile, endpoint, PUSH_API, config, ctx, deps).catch(
          (err: Error): EndpointResult => ({ endpoint: endpoint.name, ok: false, attempts: 0, internal: true, error: `${INTERNAL_ERROR}: ${err?.message ?? err}` }),
        );
        deps.onResult?.(profile, result);
        return result;
      });
    }),
  );
  return profiles.map((p, i) => ({
    profile: p.input.name,
    labels: p.labels,
    bytes: p.input.size,
    endpoints: perEndpoint.map((results) => results[i] as EndpointResult),
  }));
}

async function deliverOne(
  profile: PlannedProfile<InputProfile>,
  endpoint: Endpoint,
  protocol: Protocol,
  config: RunConfig,
  ctx: AttemptContext,
  deps: DeliverDeps,
): Promise<EndpointResult> {
  const failed = (outcome: Failure, attempts: number, stoppedBy?: string): EndpointResult => ({
    endpoint: endpoint.name,
    ok: false,
    ...(outcome.kind === 'http' && { status: outcome.status }),
    attempts,
    error: `push failed: [POST] "${endpoint.url}${protocol.path}": ${describeFailure(outcome, attempts, stoppedBy)}`,
    failure: outcome,
  });
  // Not even read once the run is stopped: its turn never came.
  if (deps.signal.aborted) return failed(stoppedOutcome(deps.signal.reason), 0);
  let bytes: Uint8Array;
  try {
    bytes = await loadBytes(profile.input, deps.signal);
  } catch (err) {
    if (deps.signal.aborted) return failed(stoppedOutcome(deps.signal.reason), 0);
    // A file rewritten or removed after validation is the user's world, not a bug; anything else is one.
    if (err instanceof InputChangedError) return { endpoint: endpoint.name, ok: false, attempts: 0, error: err.message };
    throw err;
  }
  const sent = config.overrideTimestamp ? withTimestamp(bytes, profile.input.gzipped, deps.clock.now()) : bytes;
  const prepared = protocol.prepare({ labels: profile.labels, bytes: sent, id: randomUUID() });
  const attempt = async (_n: number, timeoutMs: number): Promise<Outcome> => {
    const outcome = await attemptOnce(endpoint, protocol, prepared, timeoutMs, ctx);
    if (!outcome.ok && outcome.kind === 'http' && isThrottled(outcome) && overRateLimitBurst(profile.input))
      return { ...outcome, permanentReason: 'the profile is above the 2 MiB rate-limit burst, so waiting cannot help' };
    return outcome;
  };
  const delivery = await deliverWithRetries(
    attempt,
    { ...endpoint.retry, remoteTimeoutMs: endpoint.remoteTimeoutMs },
    { clock: deps.clock, signal: deps.signal, ...(deps.deadline && { deadline: deps.deadline }) },
    (n, failure, wait) => deps.onRetry?.(profile, endpoint, n, failure, wait),
  );
  const { outcome, attempts } = delivery;
  if (outcome.ok) return { endpoint: endpoint.name, ok: true, status: outcome.status, attempts };
  return failed(outcome, attempts, delivery.stoppedBy);
}
