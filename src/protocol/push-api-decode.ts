import { BinaryReader } from '@bufbuild/protobuf/wire';

export { PUSH_PATH } from './push-api.js';

/** A `PushRequest` (proto/push/v1/push.proto) as plain objects: what the receiver and the tests read of it. */
export interface PushRequest {
  series: RawProfileSeries[];
}
export interface RawProfileSeries {
  labels: LabelPair[];
  samples: RawSample[];
}
export interface LabelPair {
  name: string;
  value: string;
}
export interface RawSample {
  /** A view into the body, not a copy. */
  rawProfile: Uint8Array;
  ID: string;
}

/**
 * A `PushRequest` read with protobuf-es's wire `BinaryReader`, for the receiver and tests. The generated
 * messages' `fromBinary` cost the receiver ~8 µs a request, most of it in the reflection runtime making
 * message objects from descriptors; the four messages are read here by hand instead. The generated code
 * (gen/) stays the reference: the tests encode with it and compare.
 *
 * It reads exactly as `fromBinary` does, so that what the receiver takes and refuses, and the words it
 * refuses with, stay the same (test/push-api-decode.test.ts compares the two on valid and malformed
 * bodies): a known field is read whatever its wire type, a nested message ends at the first field that
 * reaches its length, unknown fields are skipped (and dropped) with the recursion budget `fromBinary`'s
 * default limit of 100 leaves at that depth, and strings must be valid UTF-8 (proto3).
 * Field numbers: PushRequest.series = 1; RawProfileSeries labels = 1, samples = 2; LabelPair name = 1,
 * value = 2; RawSample raw_profile = 1, ID = 2.
 */
export function decodePushRequest(body: Uint8Array): PushRequest {
  const reader = new BinaryReader(body);
  const series: RawProfileSeries[] = [];
  while (reader.pos < body.byteLength) {
    const [field, wireType] = reader.tag();
    if (field === 1) series.push(readSeries(reader, reader.uint32()));
    else reader.skip(wireType, field, RECURSION_LIMIT - 1);
  }
  return { series };
}

const RECURSION_LIMIT = 100;

function readSeries(reader: BinaryReader, length: number): RawProfileSeries {
  const end = reader.pos + length;
  const labels: LabelPair[] = [];
  const samples: RawSample[] = [];
  while (reader.pos < end) {
    const [field, wireType] = reader.tag();
    if (field === 1) labels.push(readLabelPair(reader, reader.uint32()));
    else if (field === 2) samples.push(readSample(reader, reader.uint32()));
    else reader.skip(wireType, field, RECURSION_LIMIT - 2);
  }
  return { labels, samples };
}

function readLabelPair(reader: BinaryReader, length: number): LabelPair {
  const end = reader.pos + length;
  let name = '';
  let value = '';
  while (reader.pos < end) {
    const [field, wireType] = reader.tag();
    if (field === 1) name = reader.string(true);
    else if (field === 2) value = reader.string(true);
    else reader.skip(wireType, field, RECURSION_LIMIT - 3);
  }
  return { name, value };
}

function readSample(reader: BinaryReader, length: number): RawSample {
  const end = reader.pos + length;
  let rawProfile: Uint8Array | undefined;
  let ID = '';
  while (reader.pos < end) {
    const [field, wireType] = reader.tag();
    if (field === 1) rawProfile = reader.bytes();
    else if (field === 2) ID = reader.string(true);
    else reader.skip(wireType, field, RECURSION_LIMIT - 3);
  }
  return { rawProfile: rawProfile ?? new Uint8Array(0), ID };
}
