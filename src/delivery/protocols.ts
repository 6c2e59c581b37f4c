import type { Endpoint, ProtocolName } from '../config/resolve.js';
import type { Labels } from '../profile/labels.js';
import type { ProfileFacts } from '../profile/pprof.js';
import { INGEST_API, ingestProblems } from '../protocol/ingest.js';
import type { Protocol } from '../protocol/protocol.js';
import { PUSH_API } from '../protocol/push-api.js';

/** Every way of sending a profile, by the name an endpoint's `protocol` setting gives. */
const PROTOCOLS: Record<ProtocolName, Protocol> = {
  push: PUSH_API,
  ingest: INGEST_API,
};

export function protocolFor(name: ProtocolName): Protocol {
  return PROTOCOLS[name];
}

/**
 * Why a planned profile cannot be sent by an endpoint's protocol as the Push API would store it, one line
 * per problem (`<input>: <problem>`), before anything is sent: the legacy /ingest API cannot carry every
 * label (its `name` parameter) nor every `__name__`. Empty when every endpoint speaks the Push API.
 */
export function protocolProblems(
  endpoints: ReadonlyArray<Pick<Endpoint, 'protocol'>>,
  profiles: ReadonlyArray<{ input: Pick<ProfileFacts, 'shape'> & { name: string }; labels: Labels }>,
): string[] {
  if (!endpoints.some((e) => e.protocol === 'ingest')) return [];
  const problems = new Set<string>();
  for (const { input, labels } of profiles) for (const p of ingestProblems(labels, input)) problems.add(`${input.name}: ${p}`);
  return [...problems];
}
