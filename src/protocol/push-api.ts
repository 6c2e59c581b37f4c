import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { type PushRequest, PushRequestSchema } from './gen/push/v1/push_pb.js';
import { type Labels, sortedPairs } from '../profile/labels.js';

export const CONTENT_TYPE = 'application/proto';
/** How much of a non-Connect error body a user is shown. */
export const BODY_EXCERPT_BYTES = 2048;

/** One series per request (PROTOCOL.md §1): a retry can then never duplicate half of a request. */
export function encodePushRequest(labels: Labels, profile: Uint8Array, id: string): Uint8Array {
  return toBinary(
    PushRequestSchema,
    create(PushRequestSchema, {
      series: [{ labels: sortedPairs(labels), samples: [{ rawProfile: profile, ID: id }] }],
    }),
  );
}

export function decodePushRequest(body: Uint8Array): PushRequest {
  return fromBinary(PushRequestSchema, body);
}

export interface ConnectError {
  code: string;
  message: string;
}

/** A Connect unary error body (`{"code": "...", "message": "..."}`), or undefined when it is something else. */
export function parseConnectError(contentType: string | undefined, body: string): ConnectError | undefined {
  if (!contentType?.toLowerCase().startsWith('application/json')) return undefined;
  try {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
    // A proxy's or load balancer's own JSON ({"code":"UNAVAILABLE"}) is classified by its HTTP status instead.
    if (typeof parsed.code !== 'string' || !CONNECT_CODES.has(parsed.code)) return undefined;
    return { code: parsed.code, message: typeof parsed.message === 'string' ? parsed.message : '' };
  } catch {
    return undefined;
  }
}

const CONNECT_CODES = new Set(['canceled', 'unknown', 'invalid_argument', 'deadline_exceeded', 'not_found', 'already_exists', 'permission_denied', 'resource_exhausted', 'failed_precondition', 'aborted', 'out_of_range', 'unimplemented', 'internal', 'unavailable', 'data_loss', 'unauthenticated']);

/** HTTP status for a Connect code, as connect-go's server maps them (used by `pyro-push receive`). */
export const CONNECT_STATUS: Record<string, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  resource_exhausted: 429,
  aborted: 409,
  already_exists: 409,
  unknown: 500,
  internal: 500,
  data_loss: 500,
  unimplemented: 501,
  unavailable: 503,
  deadline_exceeded: 504,
};
