import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { type Labels, sortedPairs } from '../profile/labels.js';
import { parseConnectError } from './connect.js';
import type { Protocol } from './protocol.js';

export const PUSH_PATH = '/push.v1.PusherService/Push';
export const CONTENT_TYPE = 'application/proto';

/**
 * One series per request (PROTOCOL.md §1): a retry can then never duplicate half of a request.
 *
 * Written with protobuf-es's wire `BinaryWriter`, not the generated messages: `create`/`toBinary` need
 * the reflection runtime and the descriptors booted, which cost a push ~65 ms of start-up for three
 * small messages. The field numbers are those of `proto/` (PushRequest.series = 1; RawProfileSeries
 * labels = 1, samples = 2; LabelPair name = 1, value = 2; RawSample raw_profile = 1, ID = 2), and as
 * proto3 does, empty strings and bytes are left out. test/encode.test.ts proves the output byte for
 * byte equal to the generated encoder's; the receiver decodes with the generated messages
 * (push-api-decode.ts).
 */
export function encodePushRequest(labels: Labels, profile: Uint8Array, id: string): Uint8Array {
  const LEN = WireType.LengthDelimited;
  const w = new BinaryWriter();
  w.tag(1, LEN).fork(); // PushRequest.series
  for (const { name, value } of sortedPairs(labels)) {
    w.tag(1, LEN).fork(); // RawProfileSeries.labels
    if (name !== '') w.tag(1, LEN).string(name);
    if (value !== '') w.tag(2, LEN).string(value);
    w.join();
  }
  w.tag(2, LEN).fork(); // RawProfileSeries.samples
  if (profile.byteLength > 0) w.tag(1, LEN).bytes(profile);
  if (id !== '') w.tag(2, LEN).string(id);
  w.join();
  w.join();
  return w.finish();
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
