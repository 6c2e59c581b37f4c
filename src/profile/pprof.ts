import { isUtf8 } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { Profile } from 'pprof-format';
import type { ProfileShape } from './name.js';
import { SERVER_LIMITS } from './server-limits.js';

/** A gzip bomb guard far above the server's 4 MiB limit; the sender and the receiver both apply it. */
export const MAX_UNCOMPRESSED = 256 * 1024 * 1024;

/**
 * Sample-label keys the server keeps on the samples instead of turning them into series labels
 * (pkg/model/pprofsplit: `profile_id` is renamed `span_id`, then samples are grouped without these).
 */
export const UNPROMOTED_SAMPLE_LABELS: ReadonlySet<string> = new Set(['trace_id', 'span_id', 'profile_id']);

/**
 * Distinct key sets kept per profile. Real profiles have a handful; past this many, the rest are merged
 * into one set, which can only over-count (refuse), never let a refused profile through unnoticed.
 */
const MAX_KEY_SETS = 4096;

/** What decoding one pprof profile tells; the decoded objects themselves are not kept. */
export interface ProfileFacts {
  gzipped: boolean;
  /** Bytes as given (and as sent). */
  size: number;
  uncompressedSize: number;
  /**
   * The profile's size as the server re-encodes it (vtproto `SizeVT`), which, with the label bytes, is
   * what its rate limiter and its size limit count; it differs from `uncompressedSize` when the
   * profiler wrote zero-valued fields or unpacked repeated fields.
   */
  encodedSize: number;
  shape: ProfileShape;
  /** `type/unit` per sample type, for people. */
  sampleTypeUnits: string[];
  sampleCount: number;
  /** Samples the server keeps after dropping those with a negative value or only zeros: 0 means it stores nothing. */
  storedSampleCount: number;
  /** String sample-label keys of the stored samples that the server turns into series labels. */
  sampleLabelKeys: Set<string>;
  /** Each distinct set of such keys, one per group of samples the server validates as one series (sorted). */
  sampleLabelKeySets: string[][];
  /** For each key set (same order), the labels of one group that has it: what the receiver names in its errors. */
  sampleLabelExamples: Array<Array<[string, string]>>;
  /** The longest value (UTF-8 bytes) each of those keys has. */
  sampleLabelValueBytes: Map<string, number>;
  /** 0 means "now" to the server. */
  timeNanos: bigint;
  /** The profile's duration_nanos (field 10), 0 when absent: the legacy /ingest API's `until` is time + duration. */
  durationNanos: bigint;
}

/** How the real server answers a profile it refuses (Connect code, and its exact message). */
export interface ServerRefusal {
  code: 'invalid_argument' | 'unknown';
  /** `labels` is the request's labels as the server prints them (`{a="x", b="y"}`), `id` the RawSample ID. */
  message(ctx: { labels: string; id: string }): string;
}

/**
 * What facts a refused profile still gave: the server checks its size and sample count before the
 * structural rules, so the receiver needs them to answer in the server's order.
 */
export interface PartialFacts {
  uncompressedSize: number;
  encodedSize: number;
  sampleCount: number;
}

/** Why bytes are not a profile the server would take; the caller names the input. */
export class ProfileError extends Error {
  override name = 'ProfileError';
  /** How the server refuses it; absent only for the local gzip-bomb guard. */
  readonly server?: ServerRefusal;
  /** Set when the profile parsed and was refused by a ValidateProfile rule. */
  readonly partial?: PartialFacts;
  /** Decompressed bytes, when decompressing worked: the server's 4 MiB check comes before it parses. */
  readonly uncompressedSize?: number;
  /** `empty-profile` is the one rule the server applies before its size and sample-count limits. */
  readonly rule?: 'empty-profile';
  constructor(message: string, options?: { cause?: unknown; server?: ServerRefusal; partial?: PartialFacts; uncompressedSize?: number; rule?: 'empty-profile' }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.server) this.server = options.server;
    if (options?.partial) this.partial = options.partial;
    const size = options?.uncompressedSize ?? options?.partial?.uncompressedSize;
    if (size !== undefined) this.uncompressedSize = size;
    if (options?.rule) this.rule = options.rule;
  }
}

const refuse400 = (text: string): ServerRefusal => ({ code: 'invalid_argument', message: () => text });
const unknown500 = (text: string): ServerRefusal => ({ code: 'unknown', message: () => text });
/** A Go panic inside pushSeries, recovered into a plain error (research §9): 500, retried by clients. */
const panic500 = (text: string): ServerRefusal => ({ code: 'unknown', message: ({ id }) => `push series with index 0 and id ${id} failed: runtime error: ${text}` });

/**
 * The one pprof check, shared by the sender (before anything is sent) and `pyro-push receive` (as the
 * server): gunzip with a size guard, then one pass over the protobuf wire format that applies every rule
 * of grafana/pyroscope pkg/validation/validate.go ValidateProfile, in its order, without building
 * pprof objects.
 */
export function decodeProfile(bytes: Uint8Array): ProfileFacts {
  if (bytes.length === 0) throw new ProfileError('empty input; expected a pprof profile', { server: unknown500('gzip reset: EOF') });
  const gzipped = isGzip(bytes);
  if (!gzipped && bytes.length < 10)
    // The server's gzip reader asks for a 10-byte header before it falls back to raw protobuf.
    throw new ProfileError(`not a pprof profile (only ${bytes.length} bytes; is it text?)`, { server: unknown500('gzip reset: unexpected EOF') });
  let raw: Uint8Array = bytes;
  if (gzipped) {
    try {
      raw = gunzipSync(bytes, { maxOutputLength: MAX_UNCOMPRESSED });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new ProfileError(`gunzipped it is over ${MAX_UNCOMPRESSED / 1024 / 1024} MiB; not a profile the server takes`, { cause: err });
      const go = e.code === 'Z_BUF_ERROR' ? 'unexpected EOF' : `flate: corrupt input (${e.message})`;
      throw new ProfileError(`gzip data is damaged (${e.message}); re-create the file`, { server: unknown500(`copy to buffer: ${go}`), cause: err });
    }
  }
  let scan: Scan;
  try {
    scan = scanProfile(raw);
  } catch (err) {
    const why = (err as Error).message;
    const eof = err instanceof RangeError || /premature EOF|out of range/i.test(why);
    throw new ProfileError(
      `not a pprof profile (no protobuf message${eof ? ': it ends mid-field' : ''}; is it text, or truncated?)`,
      { server: unknown500(eof ? 'unexpected EOF' : `proto: ${why}`), cause: err, uncompressedSize: raw.length },
    );
  }
  return factsOf(scan, gzipped, bytes.length, raw.length);
}

/** Re-encodes with `time_nanos` = now, keeping the input's compression (`--override-timestamp`). */
export function withTimestamp(bytes: Uint8Array, gzipped: boolean, nowMs: number): Uint8Array {
  const profile = Profile.decode(gzipped ? gunzipSync(bytes) : bytes);
  profile.timeNanos = BigInt(nowMs) * 1_000_000n;
  const raw = profile.encode();
  return gzipped ? gzipSync(raw) : raw;
}

/** By the magic bytes, never the file name: real `.pb.gz` files are often raw. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
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

// Field numbers of google/pprof profile.proto (the server's copy: api/google/v1/profile.proto).
const P = { sampleType: 1, sample: 2, mapping: 3, location: 4, function: 5, stringTable: 6, timeNanos: 9, durationNanos: 10, periodType: 11, comment: 13 } as const;

/** What the pass collects; string references are kept as indexes and resolved once the table is known. */
interface Scan {
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

type RefKind = 'sampleType' | 'labelKeyStr' | 'labelNumUnit' | 'functionName' | 'functionSystemName' | 'functionFilename' | 'mappingFilename' | 'mappingBuildId';

/** The server's check and message per reference kind, in validateStringTableAccess's order. */
const STRING_REFS: Array<[RefKind, string, string]> = [
  ['sampleType', 'sample type', 'sample type type string index out of range'],
  ['labelKeyStr', 'sample label key or value', 'sample label string index out of range'],
  ['functionName', 'function name', 'function name string index out of range'],
  ['functionSystemName', 'function system name', 'function system name index string out of range'],
  ['functionFilename', 'function file name', 'function file name string index out of range'],
  ['mappingFilename', 'mapping file name', 'mapping file name string index out of range'],
  ['mappingBuildId', 'mapping build id', 'mapping build id string index out of range'],
];

function scanProfile(raw: Uint8Array): Scan {
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

function factsOf(s: Scan, gzipped: boolean, size: number, uncompressedSize: number): ProfileFacts {
  const partial: PartialFacts = { uncompressedSize, encodedSize: s.encodedSize, sampleCount: s.sampleCount };
  const fail = (message: string, server: ServerRefusal) => new ProfileError(message, { server, partial });
  const broken = 'the profiler wrote a broken profile';
  const n = BigInt(s.strings.length);
  const decoded = new Map<number, string>();
  const text = (i: bigint): string => {
    if (i < 0n || i >= n) return '';
    const at = Number(i);
    let value = decoded.get(at);
    if (value === undefined) {
      const bytes = s.strings[at] as Uint8Array;
      decoded.set(at, (value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')));
    }
    return value;
  };

  if (s.sampleTypes.length === 0)
    throw new ProfileError('the profile has no sample types (the server refuses it with 400: "empty profile"); is it a pprof profile?', { server: refuse400('empty profile'), partial, rule: 'empty-profile' });
  if (s.tooManyLabels > 0)
    throw fail(
      `a sample has ${s.tooManyLabels} labels (the server refuses more than ${SERVER_LIMITS.maxSampleLabels} with 400: "exceeds the sample labels limit")`,
      { code: 'invalid_argument', message: ({ labels }) => `the profile with labels '${labels}' exceeds the sample labels limit (max_profile_stacktrace_sample_labels, actual: ${s.tooManyLabels}, limit: ${SERVER_LIMITS.maxSampleLabels})` },
    );
  if (s.locationId0) throw fail(`location id 0 (the server refuses it with 400: "location id is 0"); ${broken}`, refuse400('location id is 0'));
  if (s.functionId0) throw fail(`function id 0 (the server refuses it with 400: "function id is 0"); ${broken}`, refuse400('function id is 0'));
  const counts = [...s.valueCounts].filter((c) => c !== s.sampleTypes.length);
  if (counts.length > 0)
    throw fail(`a sample has ${counts[0]} values for ${s.sampleTypes.length} sample types (the server refuses it with 400: "sample value length mismatch"); ${broken}`, refuse400('sample value length mismatch'));
  if (s.strings.length === 0 || (s.strings[0] as Uint8Array).length !== 0)
    throw fail(`the string table does not start with "" (the server refuses it with 400: "string 0 should be empty string"); ${broken}`, refuse400('string 0 should be empty string'));
  for (const [kind, what, message] of STRING_REFS) {
    const r = s.refs.get(kind);
    if (r && r.max >= n)
      throw fail(`a ${what} refers to string ${r.max} of ${n} (the server refuses it with 400: "${message}"); ${broken}`, refuse400(message));
  }
  const types = s.sampleTypes.map((t) => text(t.type));
  const dashed = types.find((t) => t.includes('-'));
  if (dashed !== undefined)
    throw fail(`sample type "${dashed}" contains "-" (the server refuses it with 400: "sample type contains -"); rename it in the profiler`, refuse400('sample type contains -'));
  if (s.firstInvalidUtf8 >= 0) {
    const hex = Buffer.from(s.strings[s.firstInvalidUtf8] as Uint8Array).toString('hex');
    throw fail("the profile's string table has invalid UTF-8; the server rejects it (fix the profiler's output)", refuse400(`invalid utf8 string hex: ${hex}`));
  }
  // These pass ValidateProfile but make the server index its string table out of range later: a panic, 500.
  const negType = s.refs.get('sampleType');
  if (negType && negType.min < 0n) throw fail(`a sample type refers to string ${negType.min} (the server fails with 500 on it); ${broken}`, panic500(`index out of range [${negType.min}]`));
  const label = s.refs.get('labelKeyStr');
  if (label && label.min < 0n) throw fail(`a sample label refers to string ${label.min} (the server fails with 500 on it); ${broken}`, panic500(`index out of range [${label.min}]`));
  const unit = s.refs.get('labelNumUnit');
  if (unit && (unit.min < 0n || unit.max >= n)) {
    const at = unit.min < 0n ? unit.min : unit.max;
    throw fail(`a sample label's num_unit refers to string ${at} of ${n} (the server fails with 500 on it); ${broken}`, panic500(`index out of range [${at}]${at < 0n ? '' : ` with length ${n}`}`));
  }

  const sampleLabelKeys = new Set<string>();
  const sampleLabelValueBytes = new Map<string, number>();
  const keySets = new Map<string, string[]>();
  const examples = new Map<string, Array<[string, string]>>();
  let overflow: Set<string> | undefined;
  for (const pairs of s.labelSets.values()) {
    const keys = new Set<string>();
    const example: Array<[string, string]> = [];
    for (const [k, v] of pairs) {
      const value = text(v);
      const key = text(k);
      // Sanitizing turns a reference to "" into 0 and the server skips value 0; unpromoted keys stay on the samples.
      if (value === '' || UNPROMOTED_SAMPLE_LABELS.has(key)) continue;
      keys.add(key);
      example.push([key, value]);
      sampleLabelKeys.add(key);
      const bytes = s.strings[Number(v)]?.length ?? 0;
      if (bytes > (sampleLabelValueBytes.get(key) ?? -1)) sampleLabelValueBytes.set(key, bytes);
    }
    const sorted = [...keys].sort();
    const sig = sorted.join('\0');
    if (keySets.has(sig)) continue;
    if (keySets.size < MAX_KEY_SETS) {
      keySets.set(sig, sorted);
      examples.set(sig, example);
    } else for (const k of sorted) (overflow ??= new Set()).add(k);
  }
  const sampleLabelKeySets = [...keySets.values()];
  const sampleLabelExamples = [...examples.values()];
  if (overflow) {
    sampleLabelKeySets.push([...overflow].sort());
    sampleLabelExamples.push([]);
  }

  return {
    gzipped,
    size,
    uncompressedSize,
    encodedSize: s.encodedSize,
    shape: { sampleTypes: types, periodType: text(s.periodType?.type ?? 0n), periodUnit: text(s.periodType?.unit ?? 0n) },
    sampleTypeUnits: s.sampleTypes.map((t) => `${text(t.type)}/${text(t.unit)}`),
    sampleCount: s.sampleCount,
    storedSampleCount: s.storedSampleCount,
    sampleLabelKeys,
    sampleLabelKeySets,
    sampleLabelExamples,
    sampleLabelValueBytes,
    timeNanos: s.timeNanos,
    durationNanos: s.durationNanos,
  };
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
