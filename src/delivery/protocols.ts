import type { ProtocolName } from '../config/resolve.js';
import type { Protocol } from '../protocol/protocol.js';
import { PUSH_API } from '../protocol/push-api.js';

/** Every way of sending a profile, by the name an endpoint's `protocol` setting gives. */
const PROTOCOLS: Record<ProtocolName, Protocol> = {
  push: PUSH_API,
  ingest: PUSH_API,
};

export function protocolFor(name: ProtocolName): Protocol {
  return PROTOCOLS[name];
}
