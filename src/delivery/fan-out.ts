import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { Endpoint, RunConfig } from '../config/resolve.js';
import { PUSH_PATH } from '../config/defaults.js';
import { loadBytes, withTimestamp } from '../sources/inputs.js';
import { type Failure, type Outcome, describeFailure } from './outcome.js';
import { type PlannedProfile, overRateLimitBurst } from '../profile/plan.js';
import { mapPool } from './pool.js';
import { type Clock, deliverWithRetries, isThrottled } from './retry.js';
import type { Authorizer } from '../transport/authorizer.js';
import { type SendContext, sendOnce } from './attempt.js';
import { encodePushRequest } from '../protocol/push-api.js';

export interface EndpointResult {
  endpoint: string;
  ok: boolean;
  /** HTTP status of the last answer, when there was one. */
  status?: number;
  attempts: number;
  /** One line, secrets redacted, when !ok. */
  error?: string;
  /** A bug in pyro-push, not the server's or the network's doing: the run exits 3. */
  internal?: true;
  failure?: Failure;
}

export interface ProfileResult {
  profile: string;
  labels: Record<string, string>;
  bytes: number;
  endpoints: EndpointResult[];
}

/** How one endpoint is reached: its transport and its credentials. */
export interface Connection {
  dispatcher: Dispatcher;
  authorizer: Authorizer;
}

/** What delivery needs from outside, so that tests and the library API can supply their own. */
export interface DeliverDeps {
  clock: Clock;
  connectionFor(endpoint: Endpoint): Connection;
  log?: (line: string) => void;
  onResult?: (profile: PlannedProfile, result: EndpointResult) => void;
  onRetry?: (profile: PlannedProfile, endpoint: Endpoint, attempt: number, failure: Failure, waitMs: number) => void;
}

/**
 * Every profile to every endpoint. Each endpoint works through the profiles on its own pool, so a slow
 * or failing endpoint never holds up another; a profile's bytes are read when its turn comes, so memory
 * grows with --concurrency, not with the number of inputs.
 */
export async function deliver(profiles: PlannedProfile[], config: RunConfig, deps: DeliverDeps): Promise<ProfileResult[]> {
  const deadlineAt = config.deadlineMs > 0 ? deps.clock.now() + config.deadlineMs : undefined;
  const perEndpoint = await Promise.all(
    config.endpoints.map((endpoint) => {
      const ctx: SendContext = {
        ...deps.connectionFor(endpoint),
        now: deps.clock.now,
        ...(deps.log && { log: (line: string) => deps.log?.(`[${endpoint.name}] ${line}`) }),
      };
      return mapPool(profiles, config.concurrency, async (profile) => {
        // A bug while sending one profile must not take the other profiles' and endpoints' results with it.
        const result = await deliverOne(profile, endpoint, config, ctx, deps, deadlineAt).catch(
          (err: Error): EndpointResult => ({ endpoint: endpoint.name, ok: false, attempts: 0, internal: true, error: `internal error (a bug in pyro-push, please report it): ${err?.message ?? err}` }),
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
  profile: PlannedProfile,
  endpoint: Endpoint,
  config: RunConfig,
  ctx: SendContext,
  deps: DeliverDeps,
  deadlineAt: number | undefined,
): Promise<EndpointResult> {
  let body: Uint8Array;
  try {
    const bytes = await loadBytes(profile.input);
    const sent = config.overrideTimestamp ? withTimestamp(bytes, profile.input.gzipped, deps.clock.now()) : bytes;
    body = encodePushRequest(profile.labels, sent, randomUUID());
  } catch (err) {
    return { endpoint: endpoint.name, ok: false, attempts: 0, error: (err as Error).message };
  }
  const attempt = async (_n: number, timeoutMs: number): Promise<Outcome> => {
    const outcome = await sendOnce(endpoint, body, timeoutMs, ctx);
    if (!outcome.ok && outcome.kind === 'http' && isThrottled(outcome) && overRateLimitBurst(profile.input))
      return { ...outcome, permanentReason: 'the profile is above the 2 MiB rate-limit burst, so waiting cannot help' };
    return outcome;
  };
  const delivery = await deliverWithRetries(attempt, { ...endpoint.retry, remoteTimeoutMs: endpoint.remoteTimeoutMs }, deps.clock, deadlineAt, (n, failure, wait) =>
    deps.onRetry?.(profile, endpoint, n, failure, wait),
  );
  const { outcome, attempts } = delivery;
  if (outcome.ok) return { endpoint: endpoint.name, ok: true, status: outcome.status, attempts };
  return {
    endpoint: endpoint.name,
    ok: false,
    ...(outcome.kind === 'http' && { status: outcome.status }),
    attempts,
    error: `push failed: [POST] "${endpoint.url}${PUSH_PATH}": ${describeFailure(outcome, attempts, delivery.stoppedBy && '--deadline')}`,
    failure: outcome,
  };
}
