import type { Endpoint, ProtocolName } from '../config/resolve.js';
import type { Labels } from '../profile/labels.js';
import type { ProfileFacts } from '../profile/pprof.js';
import { INGEST_API, ingestLabelProblems, ingestProblems } from '../protocol/ingest.js';
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
  profiles: ReadonlyArray<{ input: Pick<ProfileFacts, 'shape'> & { name: string; format?: string }; labels: Labels }>,
): string[] {
  const problems = new Set<string>();
  const push = endpoints.filter((e) => e.protocol === 'push') as Array<Pick<Endpoint, 'protocol'> & { name?: string }>;
  for (const { input, labels } of profiles) {
    // The Push API validates pprof only; the server parses JFR at /ingest?format=jfr.
    if (input.format === 'jfr') {
      if (push.length > 0) problems.add(`${input.name}: a JFR recording, which the Push API does not take: send it to an endpoint with --protocol ingest (protocol: ingest)`);
      else for (const p of ingestLabelProblems(labels)) problems.add(`${input.name}: ${p}`);
      continue;
    }
    if (push.length < endpoints.length) for (const p of ingestProblems(labels, input)) problems.add(`${input.name}: ${p}`);
  }
  return [...problems];
}
