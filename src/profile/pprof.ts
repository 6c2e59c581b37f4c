/**
 * The one pprof check (`decodeProfile` → `ProfileFacts`): gunzip with a guard, the wire pass of
 * pprof-wire.ts, then the server's ValidateProfile rules in its order, each refusal worded as it words it.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import type { ProfileShape } from './name.js';
import { SERVER_LIMITS } from './server-limits.js';
import { type PartialFacts, ProfileError, type ServerRefusal, panic500, refuse400, unknown500 } from './profile-error.js';
import { REF, type RefKind, type Scan, scanProfile } from './pprof-wire.js';

export { ProfileError, type PartialFacts, type ServerRefusal } from './profile-error.js';

/** The server's check and message per reference kind, in validateStringTableAccess's order. */
const STRING_REFS: Array<{ kind: RefKind; what: string; message: string }> = [
  { kind: REF.sampleType, what: 'sample type', message: 'sample type type string index out of range' },
  { kind: REF.labelKeyStr, what: 'sample label key or value', message: 'sample label string index out of range' },
  { kind: REF.functionName, what: 'function name', message: 'function name string index out of range' },
  { kind: REF.functionSystemName, what: 'function system name', message: 'function system name index string out of range' },
  { kind: REF.functionFilename, what: 'function file name', message: 'function file name string index out of range' },
  { kind: REF.mappingFilename, what: 'mapping file name', message: 'mapping file name string index out of range' },
  { kind: REF.mappingBuildId, what: 'mapping build id', message: 'mapping build id string index out of range' },
];

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
  sampleLabelKeys: ReadonlySet<string>;
  /** Each distinct set of such keys, one per group of samples the server validates as one series (sorted). */
  sampleLabelKeySets: ReadonlyArray<readonly string[]>;
  /** For each key set (same order), the labels of one group that has it: what the receiver names in its errors. */
  sampleLabelExamples: ReadonlyArray<ReadonlyArray<readonly [string, string]>>;
  /** The longest value (UTF-8 bytes) each of those keys has. */
  sampleLabelValueBytes: ReadonlyMap<string, number>;
  /** 0 means "now" to the server. */
  timeNanos: bigint;
  /** The profile's duration_nanos (field 10), 0 when absent: the legacy /ingest API's `until` is time + duration. */
  durationNanos: bigint;
}


/**
 * The one pprof check, shared by the sender (before anything is sent) and `pyro-push receive` (as the
 * server): gunzip with a size guard, then one pass over the protobuf wire format that applies every rule
 * of grafana/pyroscope pkg/validation/validate.go ValidateProfile, in its order, without building
 * pprof objects. `inflated` is a gzipped input's content when the caller has inflated it already (the
 * format sniff does, for inputs up to 4 MiB inflated): then it is not inflated twice.
 */
export function decodeProfile(bytes: Uint8Array, inflated?: Uint8Array): ProfileFacts {
  if (bytes.length === 0) throw new ProfileError('empty input; expected a pprof profile', { server: unknown500('gzip reset: EOF') });
  const gzipped = isGzip(bytes);
  if (!gzipped && bytes.length < 10)
    // The server's gzip reader asks for a 10-byte header before it falls back to raw protobuf.
    throw new ProfileError(`not a pprof profile (only ${bytes.length} bytes; is it text?)`, { server: unknown500('gzip reset: unexpected EOF') });
  let raw: Uint8Array = bytes;
  if (gzipped && inflated) raw = inflated;
  else if (gzipped) {
    try {
      raw = gunzipWhole(bytes, MAX_UNCOMPRESSED);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE') throw overMaxUncompressed(err);
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

/** zlib's output buffer size by default: Node makes one of these for every gunzip, whatever its size. */
const ZLIB_CHUNK = 16 * 1024;
/** The smallest output buffer asked for. */
const SMALL_CHUNK = 1024;

/**
 * A whole gzip's content, inflated into an output buffer of the size its trailer gives (ISIZE, the
 * content's length mod 2^32), within [1 KiB, 16 KiB], for a gzip of up to 16 KiB: the content then gets a
 * buffer of its own size (from Node's pool below 4 KiB) instead of keeping a 16 KiB one alive (most of a
 * bulk run's inputs are small). The trailer is only a hint, never trusted for a result: zlib checks it.
 * A wrong one (a lie, or a last gzip member smaller than the others) costs turns of zlib's loop, at most
 * ~16 000 of 1 KiB (16 KiB of deflate inflates to ~16 MiB at most); a larger gzip gets Node's default.
 */
export function gunzipWhole(bytes: Uint8Array, maxOutputLength: number): Buffer {
  const hinted = bytes.length >= 18 && bytes.length <= ZLIB_CHUNK;
  const size = hinted ? new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true) : ZLIB_CHUNK;
  return gunzipSync(bytes, { maxOutputLength, chunkSize: Math.min(ZLIB_CHUNK, Math.max(SMALL_CHUNK, size + 1)) });
}

/** A gzip whose content is over MAX_UNCOMPRESSED (gunzipWhole's ERR_BUFFER_TOO_LARGE), whatever format it holds. */
export function overMaxUncompressed(cause: unknown): ProfileError {
  return new ProfileError(`gunzipped it is over ${MAX_UNCOMPRESSED / 1024 / 1024} MiB; not a profile the server takes`, { cause });
}

/** As Buffer's toString('utf8') decodes (a BOM kept), without a Buffer made per string. */
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

function factsOf(s: Scan, gzipped: boolean, size: number, uncompressedSize: number): ProfileFacts {
  const partial: PartialFacts = { uncompressedSize, encodedSize: s.encodedSize, sampleCount: s.sampleCount };
  const fail = (message: string, server: ServerRefusal) => new ProfileError(message, { server, partial });
  const broken = 'the profiler wrote a broken profile';
  const n = s.strings.length;
  const decoded = new Array<string | undefined>(n);
  const text = (at: number): string => {
    if (!(at >= 0 && at < n)) return '';
    return (decoded[at] ??= UTF8.decode(s.strings[at] as Uint8Array));
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
  const mismatch = firstOther(s.valueCounts, s.sampleTypes.length);
  if (mismatch !== undefined)
    throw fail(`a sample has ${mismatch} values for ${s.sampleTypes.length} sample types (the server refuses it with 400: "sample value length mismatch"); ${broken}`, refuse400('sample value length mismatch'));
  if (s.strings.length === 0 || (s.strings[0] as Uint8Array).length !== 0)
    throw fail(`the string table does not start with "" (the server refuses it with 400: "string 0 should be empty string"); ${broken}`, refuse400('string 0 should be empty string'));
  for (const { kind, what, message } of STRING_REFS) {
    const r = s.refs.range(kind);
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
  const negType = s.refs.range(REF.sampleType);
  if (negType && negType.min < 0) throw fail(`a sample type refers to string ${negType.min} (the server fails with 500 on it); ${broken}`, panic500(`index out of range [${negType.min}]`));
  const label = s.refs.range(REF.labelKeyStr);
  if (label && label.min < 0) throw fail(`a sample label refers to string ${label.min} (the server fails with 500 on it); ${broken}`, panic500(`index out of range [${label.min}]`));
  const unit = s.refs.range(REF.labelNumUnit);
  if (unit && (unit.min < 0 || unit.max >= n)) {
    const at = unit.min < 0 ? unit.min : unit.max;
    throw fail(`a sample label's num_unit refers to string ${at} of ${n} (the server fails with 500 on it); ${broken}`, panic500(`index out of range [${at}]${at < 0 ? '' : ` with length ${n}`}`));
  }

  const { sampleLabelKeys, sampleLabelKeySets, sampleLabelExamples, sampleLabelValueBytes } = sampleLabelFacts(s, text);
  return {
    gzipped,
    size,
    uncompressedSize,
    encodedSize: s.encodedSize,
    shape: { sampleTypes: types, periodType: text(s.periodType?.type ?? 0), periodUnit: text(s.periodType?.unit ?? 0) },
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

/** The first of `counts` that is not `expected`. */
function firstOther(counts: Set<number>, expected: number): number | undefined {
  for (const c of counts) if (c !== expected) return c;
  return undefined;
}

/** What a profile's sample labels tell: the facts planning and the receiver read about them. */
export type SampleLabelFacts = Pick<ProfileFacts, 'sampleLabelKeys' | 'sampleLabelKeySets' | 'sampleLabelExamples' | 'sampleLabelValueBytes'>;

/**
 * The very same sample-label facts (the same objects, as SharedFacts and NO_SAMPLE_LABELS hand them out):
 * what such profiles are labelled with, and their kind, can be worked out once for all of them.
 */
export function sameSampleLabelFacts(a: SampleLabelFacts, b: SampleLabelFacts): boolean {
  return a.sampleLabelKeys === b.sampleLabelKeys && a.sampleLabelKeySets === b.sampleLabelKeySets && a.sampleLabelExamples === b.sampleLabelExamples && a.sampleLabelValueBytes === b.sampleLabelValueBytes;
}

/**
 * A profile without sample labels (most of them): one group of samples with no keys, or none stored.
 * One copy for every such profile of the process (the receiver's too), typed and frozen read-only:
 * a bulk run no longer makes a set and three maps for each.
 */
const NO_SAMPLE_LABELS: Record<'oneGroup' | 'noGroup', SampleLabelFacts> = {
  oneGroup: { sampleLabelKeys: new Set(), sampleLabelKeySets: Object.freeze([Object.freeze([])]), sampleLabelExamples: Object.freeze([Object.freeze([])]), sampleLabelValueBytes: new Map() },
  noGroup: { sampleLabelKeys: new Set(), sampleLabelKeySets: Object.freeze([]), sampleLabelExamples: Object.freeze([]), sampleLabelValueBytes: new Map() },
};

/** Whether these are the label facts every profile without sample labels shares (`SharedFacts` compares such kinds first). */
export function hasNoSampleLabels(facts: Pick<ProfileFacts, 'sampleLabelKeys'>): boolean {
  return facts.sampleLabelKeys === NO_SAMPLE_LABELS.oneGroup.sampleLabelKeys || facts.sampleLabelKeys === NO_SAMPLE_LABELS.noGroup.sampleLabelKeys;
}

/** The sample labels the server turns into series labels: their keys, key sets, an example of each set, the longest values. */
function sampleLabelFacts(s: Scan, text: (at: number) => string): SampleLabelFacts {
  if (s.labelSets.size === 0) return NO_SAMPLE_LABELS.noGroup;
  if (s.labelSets.size === 1 && s.labelSets.has('')) return NO_SAMPLE_LABELS.oneGroup;
  const sampleLabelKeys = new Set<string>();
  const sampleLabelValueBytes = new Map<string, number>();
  const keySets = new Map<string, string[]>();
  const examples = new Map<string, Array<[string, string]>>();
  let overflow: Set<string> | undefined;
  for (const pairs of s.labelSets.values()) {
    const keys = new Set<string>();
    const example: Array<[string, string]> = [];
    for (let i = 0; i < pairs.length; i += 2) {
      const k = pairs[i] as number;
      const v = pairs[i + 1] as number;
      const value = text(v);
      const key = text(k);
      // Sanitizing turns a reference to "" into 0 and the server skips value 0; unpromoted keys stay on the samples.
      if (value === '' || UNPROMOTED_SAMPLE_LABELS.has(key)) continue;
      keys.add(key);
      example.push([key, value]);
      sampleLabelKeys.add(key);
      const bytes = s.strings[v]?.length ?? 0;
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

  return { sampleLabelKeys, sampleLabelKeySets, sampleLabelExamples, sampleLabelValueBytes };
}
