import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { type Labels, sortedPairs } from '../profile/labels.js';
import { lengthSize } from '../profile/pprof-wire.js';
import { parseConnectError } from './connect.js';
import { type Protocol, mediaType } from './protocol.js';

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
 * byte equal to the generated encoder's; the receiver decodes with the wire `BinaryReader`
 * (push-api-decode.ts), proved to read what the generated decoder reads.
 */
export function encodePushRequest(labels: Labels, profile: Uint8Array, id: string): Uint8Array {
  const [head, , tail] = pushRequestParts(labels, profile, id);
  // One copy of the profile, into a body of the exact size: BinaryWriter's fork/join would copy it once
  // per enclosing message (four times, 260 MiB for a 65 MiB profile).
  const body = new Uint8Array(head.length + profile.byteLength + tail.length);
  body.set(head, 0);
  body.set(profile, head.length);
  body.set(tail, head.length + profile.byteLength);
  return body;
}

/**
 * The one writer of every request's head and tail: `finish` copies out what was written and starts it
 * again, and it is only ever written to in one synchronous call. A new writer each time began with a
 * buffer of its own (128 bytes, outside V8's heap) that grew and was let go: 1000 requests ~8 → ~6 ms. The
 * profile's bytes never go through it, so it stays as small as a head.
 */
const parts = new BinaryWriter();

/**
 * The PushRequest as [everything before the profile's bytes, the profile, everything after]: the
 * lengths of the enclosing messages are worked out first, so that the profile itself is never copied.
 */
export function pushRequestParts(labels: Labels, profile: Uint8Array, id: string): [Uint8Array, Uint8Array, Uint8Array] {
  const labelBytes = encodedLabels(labels);
  try {
    return writeParts(labelBytes, profile, id);
  } catch (err) {
    // Nothing half-written may begin the next request (a length over 2^32 - 1 throws midway).
    parts.finish();
    throw err;
  }
}

function writeParts(labelBytes: Uint8Array, profile: Uint8Array, id: string): [Uint8Array, Uint8Array, Uint8Array] {
  const LEN = WireType.LengthDelimited;
  const tail = id === '' ? new Uint8Array(0) : parts.tag(2, LEN).string(id).finish(); // RawSample.ID
  // The lengths of the fields in between are sizes worked out, not bytes written twice (each tag here is
  // one byte: fields 1 and 2).
  const profileField = profile.byteLength > 0 ? 1 + lengthSize(profile.byteLength) : 0; // RawSample.raw_profile's tag and length
  const sampleLength = profileField + profile.byteLength + tail.length;
  const seriesLength = labelBytes.length + 1 + lengthSize(sampleLength) + sampleLength;
  parts.tag(1, LEN).uint32(seriesLength).raw(labelBytes).tag(2, LEN).uint32(sampleLength); // PushRequest.series, RawProfileSeries.samples
  if (profile.byteLength > 0) parts.tag(1, LEN).uint32(profile.byteLength);
  return [parts.finish(), profile, tail];
}

/**
 * RawProfileSeries.labels, encoded once per labels object: a bulk run's profiles share one (push.ts), so
 * thousands of requests reuse the same bytes instead of sorting and writing the same pairs again.
 */
const labelsEncoded = new WeakMap<Labels, Uint8Array>();
function encodedLabels(labels: Labels): Uint8Array {
  let bytes = labelsEncoded.get(labels);
  if (bytes) return bytes;
  const LEN = WireType.LengthDelimited;
  const pairs = new BinaryWriter();
  for (const { name, value } of sortedPairs(labels)) {
    pairs.tag(1, LEN).fork();
    if (name !== '') pairs.tag(1, LEN).string(name);
    if (value !== '') pairs.tag(2, LEN).string(value);
    pairs.join();
  }
  labelsEncoded.set(labels, (bytes = pairs.finish()));
  return bytes;
}


function notAPushAnswer(type: string): string {
  const what = type === '' ? 'no content type' : `content type ${type}`;
  const hint = type === 'text/html' ? 'is --url the Pyroscope server, not Grafana?' : 'is --url a Pyroscope server?';
  return `not a Push API answer (${what}; Pyroscope answers 200 with ${CONTENT_TYPE}), nothing was stored: ${hint}`;
}

/** The same object for every request: an attempt then reuses the headers it made for the last one (attempt.ts). */
const PUSH_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': CONTENT_TYPE, 'connect-protocol-version': '1' });

/** The Connect Push API, unary, protobuf codec (what Alloy's pyroscope.write speaks). */
export const PUSH_API: Protocol = {
  name: 'push',
  path: PUSH_PATH,
  prepare: ({ labels, bytes, id }) => ({
    path: PUSH_PATH,
    headers: PUSH_HEADERS,
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
