/**
 * The one pass over a pprof profile's protobuf wire format (google/pprof profile.proto), with
 * @bufbuild/protobuf's BinaryReader: what the checks in pprof.ts need, collected without building pprof
 * objects, and each message's size as the server re-encodes it.
 */
import { isUtf8 } from 'node:buffer';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { SERVER_LIMITS } from './server-limits.js';

// Field numbers of google/pprof profile.proto (the server's copy: api/google/v1/profile.proto).
const P = { sampleType: 1, sample: 2, mapping: 3, location: 4, function: 5, stringTable: 6, timeNanos: 9, durationNanos: 10, periodType: 11, comment: 13 } as const;

/** What the pass collects; string references are kept as indexes and resolved once the table is known. */
export interface Scan {
  strings: Uint8Array[];
  firstInvalidUtf8: number;
  sampleTypes: Array<{ type: bigint; unit: bigint }>;
  periodType: { type: bigint; unit: bigint } | undefined;
  timeNanos: bigint;
  durationNanos: bigint;
  sampleCount: number;
  storedSampleCount: number;
  encodedSize: number;
  /** Of the first sample over the server's label limit. */
  tooManyLabels: number;
  valueCounts: Set<number>;
  locationId0: boolean;
  functionId0: boolean;
  /** Largest and smallest index per checked reference kind (`>= len` is what the server refuses). */
  refs: Map<RefKind, { max: bigint; min: bigint }>;
  /** Per stored sample, its string (key, value) index pairs, deduplicated by signature. */
  labelSets: Map<string, Array<[bigint, bigint]>>;
}

export type RefKind = 'sampleType' | 'labelKeyStr' | 'labelNumUnit' | 'functionName' | 'functionSystemName' | 'functionFilename' | 'mappingFilename' | 'mappingBuildId';

/** The server's check and message per reference kind, in validateStringTableAccess's order. */
export const STRING_REFS: Array<[RefKind, string, string]> = [
  ['sampleType', 'sample type', 'sample type type string index out of range'],
  ['labelKeyStr', 'sample label key or value', 'sample label string index out of range'],
  ['functionName', 'function name', 'function name string index out of range'],
  ['functionSystemName', 'function system name', 'function system name index string out of range'],
  ['functionFilename', 'function file name', 'function file name string index out of range'],
  ['mappingFilename', 'mapping file name', 'mapping file name string index out of range'],
  ['mappingBuildId', 'mapping build id', 'mapping build id string index out of range'],
];

export function scanProfile(raw: Uint8Array): Scan {
  const s: Scan = {
    strings: [],
    firstInvalidUtf8: -1,
    sampleTypes: [],
    periodType: undefined,
    timeNanos: 0n,
    durationNanos: 0n,
    sampleCount: 0,
    storedSampleCount: 0,
    encodedSize: 0,
    tooManyLabels: 0,
    valueCounts: new Set(),
    locationId0: false,
    functionId0: false,
    refs: new Map(),
    labelSets: new Map(),
  };
  const r = new BinaryReader(raw);
  let size = 0;
  let comments = 0;
  while (r.pos < r.len) {
    const start = r.pos;
    const [field, wt] = r.tag();
    switch (field) {
      case P.sampleType: {
        const vt = { type: 0n, unit: 0n };
        size += nested(r, wt, (end) => valueType(r, end, vt));
        s.sampleTypes.push(vt);
        ref(s, 'sampleType', vt.type);
        break;
      }
      case P.sample:
        size += nested(r, wt, (end) => sample(r, end, s));
        break;
      case P.mapping:
        size += nested(r, wt, (end) => mapping(r, end, s));
        break;
      case P.location:
        size += nested(r, wt, (end) => location(r, end, s));
        break;
      case P.function:
        size += nested(r, wt, (end) => func(r, end, s));
        break;
      case P.stringTable: {
        expectWire(wt, WireType.LengthDelimited);
        const text = r.bytes();
        if (s.firstInvalidUtf8 < 0 && !isUtf8(text)) s.firstInvalidUtf8 = s.strings.length;
        s.strings.push(text);
        size += r.pos - start;
        break;
      }
      case P.periodType: {
        const vt = { type: 0n, unit: 0n };
        size += nested(r, wt, (end) => valueType(r, end, vt));
        s.periodType = vt;
        break;
      }
      case P.comment:
        comments += packed(r, wt, () => undefined);
        break;
      case 7: case 8: case 12: case 14:
        size += scalar(r, wt, start)[1];
        break;
      case P.timeNanos: {
        const [value, n] = scalar(r, wt, start);
        s.timeNanos = value;
        size += n;
        break;
      }
      case P.durationNanos: {
        const [value, n] = scalar(r, wt, start);
        s.durationNanos = value;
        size += n;
        break;
      }
      default:
        r.skip(wt, field);
        size += r.pos - start;
    }
  }
  s.encodedSize = size + packedSize(comments);
  return s;
}


function ref(s: Scan, kind: RefKind, index: bigint): void {
  const r = s.refs.get(kind);
  if (!r) s.refs.set(kind, { max: index, min: index });
  else {
    if (index > r.max) r.max = index;
    if (index < r.min) r.min = index;
  }
}

// The wire walkers below return each message's size as vtproto re-encodes it: zero scalars left out,
// repeated numbers packed, unknown fields kept as written. Varints count at their written length.

function expectWire(actual: WireType, expected: WireType): void {
  if (actual !== expected) throw new Error(`wrong wireType = ${actual}`);
}

/** Bytes of the varint that prefixes a length; a size, not an encoding. */
function lengthSize(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
}

/** A length-delimited sub-message: `read` walks it to `end` and returns its body size. */
function nested(r: BinaryReader, wt: WireType, read: (end: number) => number): number {
  expectWire(wt, WireType.LengthDelimited);
  const len = r.uint32();
  const end = r.pos + len;
  if (end > r.len) throw new RangeError('premature EOF');
  const body = read(end);
  if (r.pos !== end) throw new RangeError('premature EOF');
  return 1 + lengthSize(body) + body;
}

/** A scalar varint field and its re-encoded size (0 when the value is 0). */
function scalar(r: BinaryReader, wt: WireType, tagStart: number): [bigint, number] {
  expectWire(wt, WireType.Varint);
  const value = BigInt(r.int64());
  return [value, value === 0n ? 0 : r.pos - tagStart];
}

/** A repeated varint field, packed or not; calls `each` per value and returns the payload bytes. */
function packed(r: BinaryReader, wt: WireType, each: (value: bigint) => void): number {
  if (wt === WireType.Varint) {
    const start = r.pos;
    each(BigInt(r.int64()));
    return r.pos - start;
  }
  expectWire(wt, WireType.LengthDelimited);
  const len = r.uint32();
  const end = r.pos + len;
  if (end > r.len) throw new RangeError('premature EOF');
  while (r.pos < end) each(BigInt(r.int64()));
  if (r.pos !== end) throw new RangeError('premature EOF');
  return len;
}

/** A length-delimited field's length, the reader moved past it (as `bytes()`, without making a view). */
function skipBytes(r: BinaryReader): number {
  const len = r.uint32();
  r.pos += len;
  if (r.pos > r.len) throw new RangeError('premature EOF');
  return len;
}

function packedSize(payload: number): number {
  return payload === 0 ? 0 : 1 + lengthSize(payload) + payload;
}

/** Walks a message of scalar fields; `onField` gets each known one, unknown fields are kept as written. */
function scalars(r: BinaryReader, end: number, known: number, onField: (field: number, value: bigint) => void): number {
  let size = 0;
  while (r.pos < end) {
    const start = r.pos;
    const [field, wt] = r.tag();
    if (field <= known) {
      const [value, n] = scalar(r, wt, start);
      size += n;
      onField(field, value);
    } else {
      r.skip(wt, field);
      size += r.pos - start;
    }
  }
  return size;
}

function valueType(r: BinaryReader, end: number, vt: { type: bigint; unit: bigint }): number {
  return scalars(r, end, 2, (field, value) => (field === 1 ? (vt.type = value) : (vt.unit = value)));
}

function sample(r: BinaryReader, end: number, s: Scan): number {
  let size = 0;
  let locations = 0;
  let valueBytes = 0;
  let values = 0;
  let negative = false;
  let nonZero = false;
  let labels = 0;
  const pairs: Array<[bigint, bigint]> = [];
  while (r.pos < end) {
    const start = r.pos;
    const [field, wt] = r.tag();
    if (field === 1) {
      // Only the length counts: skipped without a view of the bytes (a 65 MiB profile has a million).
      if (wt === WireType.LengthDelimited) locations += skipBytes(r);
      else locations += packed(r, wt, () => undefined);
    } else if (field === 2) {
      // packed() inlined: no closure per sample.
      if (wt === WireType.Varint) {
        const at = r.pos;
        const v = BigInt(r.int64());
        values++;
        if (v < 0n) negative = true;
        else if (v !== 0n) nonZero = true;
        valueBytes += r.pos - at;
      } else {
        expectWire(wt, WireType.LengthDelimited);
        const len = r.uint32();
        const stop = r.pos + len;
        if (stop > r.len) throw new RangeError('premature EOF');
        while (r.pos < stop) {
          const v = BigInt(r.int64());
          values++;
          if (v < 0n) negative = true;
          else if (v !== 0n) nonZero = true;
        }
        if (r.pos !== stop) throw new RangeError('premature EOF');
        valueBytes += len;
      }
    } else if (field === 3) {
      labels++;
      let key = 0n;
      let str = 0n;
      size += nested(r, wt, (e) =>
        scalars(r, e, 4, (f, v) => {
          if (f === 1) key = v;
          else if (f === 2) str = v;
          else if (f === 4) ref(s, 'labelNumUnit', v);
        }),
      );
      ref(s, 'labelKeyStr', key);
      ref(s, 'labelKeyStr', str);
      // The server drops numeric labels (str 0) before it groups samples.
      if (str !== 0n) pairs.push([key, str]);
    } else {
      r.skip(wt, field);
      size += r.pos - start;
    }
  }
  s.sampleCount++;
  s.valueCounts.add(values);
  if (labels > SERVER_LIMITS.maxSampleLabels && s.tooManyLabels === 0) s.tooManyLabels = labels;
  if (!negative && nonZero) {
    s.storedSampleCount++;
    const sig =
      pairs.length === 0
        ? ''
        : pairs
            .map(([k, v]) => `${k}:${v}`)
            .sort()
            .join(',');
    if (!s.labelSets.has(sig)) s.labelSets.set(sig, pairs);
  }
  return size + packedSize(locations) + packedSize(valueBytes);
}

function mapping(r: BinaryReader, end: number, s: Scan): number {
  return scalars(r, end, 10, (field, value) => {
    if (field === 5) ref(s, 'mappingFilename', value);
    else if (field === 6) ref(s, 'mappingBuildId', value);
  });
}

function location(r: BinaryReader, end: number, s: Scan): number {
  let size = 0;
  let id = 0n;
  while (r.pos < end) {
    const start = r.pos;
    const [field, wt] = r.tag();
    if (field === 4) size += nested(r, wt, (e) => scalars(r, e, 3, () => undefined));
    else if (field <= 5) {
      const [value, n] = scalar(r, wt, start);
      if (field === 1) id = value;
      size += n;
    } else {
      r.skip(wt, field);
      size += r.pos - start;
    }
  }
  if (id === 0n) s.locationId0 = true;
  return size;
}

function func(r: BinaryReader, end: number, s: Scan): number {
  let id = 0n;
  const size = scalars(r, end, 5, (field, value) => {
    if (field === 1) id = value;
    else if (field === 2) ref(s, 'functionName', value);
    else if (field === 3) ref(s, 'functionSystemName', value);
    else if (field === 4) ref(s, 'functionFilename', value);
  });
  if (id === 0n) s.functionId0 = true;
  return size;
}

/** pprof-format decodes strings leniently (U+FFFD); the server does not, so look at the raw field bytes. */
export function stringTableIsUtf8(raw: Uint8Array): boolean {
  const reader = new BinaryReader(raw);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === P.stringTable && wireType === WireType.LengthDelimited) {
      if (!isUtf8(reader.bytes())) return false;
    } else reader.skip(wireType);
  }
  return true;
}
