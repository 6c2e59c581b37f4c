import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { type Labels, sortedPairs } from '../profile/labels.js';
import { parseConnectError } from './connect.js';
import { type PushRequest, PushRequestSchema } from './gen/push/v1/push_pb.js';
import type { Protocol } from './protocol.js';

export const PUSH_PATH = '/push.v1.PusherService/Push';
export const CONTENT_TYPE = 'application/proto';

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

/** The Connect Push API, unary, protobuf codec (what Alloy's pyroscope.write speaks). */
export const PUSH_API: Protocol = {
  name: 'push',
  path: PUSH_PATH,
  prepare: ({ labels, bytes, id }) => ({
    path: PUSH_PATH,
    headers: { 'content-type': CONTENT_TYPE, 'connect-protocol-version': '1' },
    body: encodePushRequest(labels, bytes, id),
  }),
  attemptHeaders: (timeoutMs) => ({ 'connect-timeout-ms': String(timeoutMs) }),
  readAnswer(status, contentType, body) {
    if (status >= 200 && status < 300) return { ok: true };
    const connect = parseConnectError(contentType, body);
    return connect ? { ok: false, code: connect.code, detail: connect.message } : { ok: false, detail: body };
  },
};
