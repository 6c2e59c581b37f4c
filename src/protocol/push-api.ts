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

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function notAPushAnswer(type: string): string {
  const what = type === '' ? 'no content type' : `content type ${type}`;
  const hint = type === 'text/html' ? 'is --url the Pyroscope server, not Grafana?' : 'is --url a Pyroscope server?';
  return `not a Push API answer (${what}; Pyroscope answers 200 with ${CONTENT_TYPE}), nothing was stored: ${hint}`;
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
    // As connect-go, which Alloy uses: only 200 with the codec's content type is an answer from the Push API.
    // Anything else that looks like success (Grafana's UI answers 200 text/html for any path) stored nothing.
    const type = mediaType(contentType);
    if (status === 200 && type === CONTENT_TYPE) return { ok: true };
    if (status >= 200 && status < 300) return { ok: false, detail: notAPushAnswer(type) };
    const connect = parseConnectError(contentType, body);
    return connect ? { ok: false, code: connect.code, detail: connect.message } : { ok: false, detail: body };
  },
};
