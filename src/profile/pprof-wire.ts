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

/** A ValueType's string indexes. */
export interface ValueTypeRefs {
  type: number;
  unit: number;
}

/** What the pass collects; string references are kept as indexes and resolved once the table is known. */
export interface Scan {
  strings: Uint8Array[];
  firstInvalidUtf8: number;
  sampleTypes: ValueTypeRefs[];
  periodType: ValueTypeRefs | undefined;
  timeNanos: bigint;
  durationNanos: bigint;
  sampleCount: number;
  storedSampleCount: number;
  encodedSize: number;
  /** Of the first sample over the server's label limit. */
  tooManyLabels: number;
  /** Each number of values a sample has, in the order first seen. */
  valueCounts: Set<number>;
  locationId0: boolean;
  functionId0: boolean;
  /** Largest and smallest index per checked reference kind (`>= len` is what the server refuses). */
  refs: RefRange;
  /** Per stored sample, its string (key, value) index pairs, flat, deduplicated by signature. */
  labelSets: Map<string, number[]>;
}

/** The string references the server checks, each with its own range. */
export const REF = { sampleType: 0, labelKeyStr: 1, labelNumUnit: 2, functionName: 3, functionSystemName: 4, functionFilename: 5, mappingFilename: 6, mappingBuildId: 7 } as const;
export type RefKind = (typeof REF)[keyof typeof REF];

/** The largest and smallest index seen per kind of reference, in two arrays: no object per reference. */
export class RefRange {
  readonly #max = new Float64Array(8).fill(-Infinity);
  readonly #min = new Float64Array(8).fill(Infinity);

  note(kind: RefKind, index: number): void {
    if (index > (this.#max[kind] as number)) this.#max[kind] = index;
    if (index < (this.#min[kind] as number)) this.#min[kind] = index;
  }

  /** undefined when no reference of the kind was seen. */
  range(kind: RefKind): { max: number; min: number } | undefined {
    const max = this.#max[kind] as number;
    return max === -Infinity ? undefined : { max, min: this.#min[kind] as number };
  }
}

// The pass is written for the many small profiles of a bulk run, checked while V8 still interprets it:
// no callback per message or field (messages of varints are walked by one loop that a table per message
// leads, ScalarMessage), tags are taken by index (destructuring walks an iterator), and varints are
// numbers (see `varint`).

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
    refs: new RefRange(),
    labelSets: new Map(),
  };
  const r = new BinaryReader(raw);
  const lastValueCount = { n: -1 };
  let size = 0;
  let comments = 0;
  while (r.pos < r.len) {
    const start = r.pos;
    const tag = r.tag();
    const field = tag[0];
    const wt = tag[1];
    switch (field) {
      case P.sampleType: {
        size += nestedScalars(r, wt, s, VALUE_TYPE);
        const vt = lastValueType();
        s.sampleTypes.push(vt);
        s.refs.note(REF.sampleType, vt.type);
        break;
      }
      case P.sample: {
        const end = messageEnd(r, wt);
        size += nestedSize(sample(r, end, s, lastValueCount), r, end);
        break;
      }
      case P.mapping:
        size += nestedScalars(r, wt, s, MAPPING);
        break;
      case P.location: {
        const end = messageEnd(r, wt);
        size += nestedSize(location(r, end, s), r, end);
        break;
      }
      case P.function:
        size += nestedScalars(r, wt, s, FUNCTION);
        if (fieldValues[1] === 0) s.functionId0 = true;
        break;
      case P.stringTable: {
        expectWire(wt, WireType.LengthDelimited);
        const text = r.bytes();
        if (s.firstInvalidUtf8 < 0 && !isUtf8(text)) s.firstInvalidUtf8 = s.strings.length;
        s.strings.push(text);
        size += r.pos - start;
        break;
      }
      case P.periodType:
        size += nestedScalars(r, wt, s, VALUE_TYPE);
        s.periodType = lastValueType();
        break;
      case P.comment:
        comments += skipPacked(r, wt);
        break;
      case 7: case 8: case 12: case 14:
        size += scalarSize(varint(r, wt), r, start);
        break;
      case P.timeNanos: {
        s.timeNanos = int64(r, wt);
        size += s.timeNanos === 0n ? 0 : r.pos - start;
        break;
      }
      case P.durationNanos: {
        s.durationNanos = int64(r, wt);
        size += s.durationNanos === 0n ? 0 : r.pos - start;
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

// The wire walkers below return each message's size as vtproto re-encodes it: zero scalars left out,
// repeated numbers packed, unknown fields kept as written. Varints count at their written length.

function expectWire(actual: WireType, expected: WireType): void {
  if (actual !== expected) throw new Error(`wrong wireType = ${actual}`);
}

/**
 * A varint field's value as a number. One of up to four bytes (under 2^28: every id, index and count in
 * practice) is the library's uint32 read; a longer one is read again as the int64 it is, exact up to
 * 2^53 (the nearest double beyond, which keeps its sign, and zero apart). The sign and zero-ness are what
 * the checks need; a BigInt per value is what a small profile's check spent most of its time making.
 */
function varint(r: BinaryReader, wt: WireType): number {
  expectWire(wt, WireType.Varint);
  const at = r.pos;
  const low = r.uint32();
  if (r.pos - at <= 4) return low;
  r.pos = at;
  return Number(r.int64());
}

/** A varint field read exactly: the profile's time and duration. */
function int64(r: BinaryReader, wt: WireType): bigint {
  expectWire(wt, WireType.Varint);
  return BigInt(r.int64());
}

/** A scalar's re-encoded size: its tag and varint as written, nothing when it is 0. */
function scalarSize(value: number, r: BinaryReader, tagStart: number): number {
  return value === 0 ? 0 : r.pos - tagStart;
}

/** Bytes of the varint that prefixes a length; a size, not an encoding. */
export function lengthSize(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
}

/** Where a length-delimited sub-message that starts here ends. */
function messageEnd(r: BinaryReader, wt: WireType): number {
  expectWire(wt, WireType.LengthDelimited);
  const len = r.uint32();
  const end = r.pos + len;
  if (end > r.len) throw new RangeError('premature EOF');
  return end;
}

/** A sub-message walked to its end: its re-encoded size with tag and length, from its body's. */
function nestedSize(body: number, r: BinaryReader, end: number): number {
  if (r.pos !== end) throw new RangeError('premature EOF');
  return 1 + lengthSize(body) + body;
}

/** A repeated varint field, packed or not, read past; returns the payload bytes. */
function skipPacked(r: BinaryReader, wt: WireType): number {
  const start = r.pos;
  if (wt !== WireType.LengthDelimited) {
    varint(r, wt);
    return r.pos - start;
  }
  const end = messageEnd(r, wt);
  const len = end - r.pos;
  while (r.pos < end) varint(r, WireType.Varint);
  if (r.pos !== end) throw new RangeError('premature EOF');
  return len;
}

function packedSize(payload: number): number {
  return payload === 0 ? 0 : 1 + lengthSize(payload) + payload;
}

/**
 * A message whose fields 1…`known` are all varints (every pprof message but Profile, Sample and Location):
 * which of them name strings, and which values the caller reads.
 */
interface ScalarMessage {
  known: number;
  /** The reference kind of each field that is a string index. */
  refs: ReadonlyArray<RefKind | undefined>;
}

const VALUE_TYPE: ScalarMessage = { known: 2, refs: [] }; // type = 1, unit = 2
const LABEL: ScalarMessage = { known: 4, refs: [undefined, undefined, undefined, undefined, REF.labelNumUnit] }; // key = 1, str = 2, num = 3, num_unit = 4
const MAPPING: ScalarMessage = { known: 10, refs: [undefined, undefined, undefined, undefined, undefined, REF.mappingFilename, REF.mappingBuildId] };
const FUNCTION: ScalarMessage = { known: 5, refs: [undefined, undefined, REF.functionName, REF.functionSystemName, REF.functionFilename] }; // id = 1
const LINE: ScalarMessage = { known: 3, refs: [] };

/**
 * The values of the last message `scalarMessage` walked, by field number (0 for a field it did not
 * have): read at once by the caller, so one array serves every message.
 */
const fieldValues: number[] = new Array(11).fill(0);

/** Walks a ScalarMessage to `end`, noting its string references; returns its re-encoded size. */
function scalarMessage(r: BinaryReader, end: number, s: Scan, spec: ScalarMessage): number {
  fieldValues.fill(0, 0, spec.known + 1);
  let size = 0;
  while (r.pos < end) {
    const start = r.pos;
    const tag = r.tag();
    const field = tag[0];
    if (field <= spec.known) {
      const value = varint(r, tag[1]);
      fieldValues[field] = value;
      const kind = spec.refs[field];
      if (kind !== undefined) s.refs.note(kind, value);
      size += scalarSize(value, r, start);
    } else size += skipField(r, tag[1], field, start);
  }
  return size;
}

/** A nested ScalarMessage that starts here, walked: its size with tag and length. */
function nestedScalars(r: BinaryReader, wt: WireType, s: Scan, spec: ScalarMessage): number {
  const end = messageEnd(r, wt);
  return nestedSize(scalarMessage(r, end, s, spec), r, end);
}

/** The string indexes of the ValueType `scalarMessage` walked last. */
function lastValueType(): ValueTypeRefs {
  return { type: fieldValues[1] as number, unit: fieldValues[2] as number };
}

/** An unknown field, kept as written: its size. */
function skipField(r: BinaryReader, wt: WireType, field: number, start: number): number {
  r.skip(wt, field);
  return r.pos - start;
}

function sample(r: BinaryReader, end: number, s: Scan, lastValueCount: { n: number }): number {
  let size = 0;
  let locations = 0;
  let valueBytes = 0;
  let values = 0;
  let negative = false;
  let nonZero = false;
  let labels = 0;
  let pairs: number[] | undefined;
  while (r.pos < end) {
    const start = r.pos;
    const tag = r.tag();
    const field = tag[0];
    const wt = tag[1];
    if (field === 1) {
      // Only the length counts: skipped without a view of the bytes (a 65 MiB profile has a million).
      if (wt === WireType.LengthDelimited) {
        const stop = messageEnd(r, wt);
        locations += stop - r.pos;
        r.pos = stop;
      } else {
        const at = r.pos;
        varint(r, wt);
        locations += r.pos - at;
      }
    } else if (field === 2) {
      if (wt === WireType.Varint) {
        const at = r.pos;
        const v = varint(r, wt);
        values++;
        if (v < 0) negative = true;
        else if (v !== 0) nonZero = true;
        valueBytes += r.pos - at;
      } else {
        const stop = messageEnd(r, wt);
        valueBytes += stop - r.pos;
        while (r.pos < stop) {
          const v = varint(r, WireType.Varint);
          values++;
          if (v < 0) negative = true;
          else if (v !== 0) nonZero = true;
        }
        if (r.pos !== stop) throw new RangeError('premature EOF');
      }
    } else if (field === 3) {
      labels++;
      size += nestedScalars(r, wt, s, LABEL);
      const key = fieldValues[1] as number;
      const str = fieldValues[2] as number;
      s.refs.note(REF.labelKeyStr, key);
      s.refs.note(REF.labelKeyStr, str);
      // The server drops numeric labels (str 0) before it groups samples.
      if (str !== 0) (pairs ??= []).push(key, str);
    } else size += skipField(r, wt, field, start);
  }
  s.sampleCount++;
  if (values !== lastValueCount.n) {
    s.valueCounts.add(values);
    lastValueCount.n = values;
  }
  if (labels > SERVER_LIMITS.maxSampleLabels && s.tooManyLabels === 0) s.tooManyLabels = labels;
  if (!negative && nonZero) {
    s.storedSampleCount++;
    const sig = pairs === undefined ? '' : labelSignature(pairs);
    if (!s.labelSets.has(sig)) s.labelSets.set(sig, pairs ?? []);
  }
  return size + packedSize(locations) + packedSize(valueBytes);
}

/** The same (key, value) pairs in any order give the same signature. */
function labelSignature(pairs: number[]): string {
  const each: string[] = [];
  for (let i = 0; i < pairs.length; i += 2) each.push(`${pairs[i]}:${pairs[i + 1]}`);
  return each.sort().join(',');
}

/** Location: id, mapping id, address and is_folded are scalars; each line (4) is a message of three. */
function location(r: BinaryReader, end: number, s: Scan): number {
  let size = 0;
  let id = 0;
  while (r.pos < end) {
    const start = r.pos;
    const tag = r.tag();
    const field = tag[0];
    if (field === 4) size += nestedScalars(r, tag[1], s, LINE);
    else if (field <= 5) {
      const value = varint(r, tag[1]);
      if (field === 1) id = value;
      size += scalarSize(value, r, start);
    } else size += skipField(r, tag[1], field, start);
  }
  if (id === 0) s.locationId0 = true;
  return size;
}
