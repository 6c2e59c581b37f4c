import { isUtf8 } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { Profile } from 'pprof-format';
import type { ProfileShape } from './name.js';

/** A gzip bomb guard far above the server's 4 MiB limit; the sender and the receiver both apply it. */
export const MAX_UNCOMPRESSED = 256 * 1024 * 1024;
const STRING_TABLE_FIELD = 6;

/** What decoding one pprof profile tells; the decoded objects themselves are not kept. */
export interface ProfileFacts {
  gzipped: boolean;
  /** Bytes as given (and as sent). */
  size: number;
  uncompressedSize: number;
  shape: ProfileShape;
  /** `type/unit` per sample type, for people. */
  sampleTypeUnits: string[];
  sampleCount: number;
  sampleLabelKeys: Set<string>;
  /** 0 means "now" to the server. */
  timeNanos: bigint;
}

/** Why bytes are not a profile the server would parse; the caller names the input. */
export class ProfileError extends Error {
  override name = 'ProfileError';
}

/**
 * The one pprof check, shared by the sender (before anything is sent) and `pyro-push receive` (as the
 * server): gunzip with a size guard, decode, and the string-table rules the server enforces.
 */
export function decodeProfile(bytes: Uint8Array): ProfileFacts {
  if (bytes.length === 0) throw new ProfileError('empty input; expected a pprof profile');
  const gzipped = isGzip(bytes);
  let raw: Uint8Array = bytes;
  if (gzipped) {
    try {
      raw = gunzipSync(bytes, { maxOutputLength: MAX_UNCOMPRESSED });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new ProfileError(`gunzipped it is over ${MAX_UNCOMPRESSED / 1024 / 1024} MiB; not a profile the server takes`, { cause: err });
      throw new ProfileError(`gzip data is damaged (${e.message}); re-create the file`, { cause: err });
    }
  }
  let profile: Profile;
  try {
    profile = Profile.decode(raw);
  } catch (err) {
    throw new ProfileError(`not a pprof profile (${(err as Error).message})`, { cause: err });
  }
  const strings = profile.stringTable.strings;
  const str = (i: number | bigint) => strings[Number(i)];
  const sampleTypes = profile.sampleType.map((t) => str(t.type));
  if (sampleTypes.length === 0 || sampleTypes.some((t) => t === undefined) || strings[0] !== '')
    throw new ProfileError('not a pprof profile (no sample types or a broken string table)');
  if (!stringTableIsUtf8(raw)) throw new ProfileError("the profile's string table has invalid UTF-8; the server rejects it (fix the profiler's output)");
  const sampleLabelKeys = new Set<string>();
  for (const sample of profile.sample) for (const label of sample.label) if (Number(label.str) !== 0) sampleLabelKeys.add(str(label.key) ?? '');
  return {
    gzipped,
    size: bytes.length,
    uncompressedSize: raw.length,
    shape: {
      sampleTypes: sampleTypes as string[],
      periodType: str(profile.periodType?.type ?? 0) ?? '',
      periodUnit: str(profile.periodType?.unit ?? 0) ?? '',
    },
    sampleTypeUnits: profile.sampleType.map((t) => `${str(t.type)}/${str(t.unit) ?? ''}`),
    sampleCount: profile.sample.length,
    sampleLabelKeys,
    timeNanos: BigInt(profile.timeNanos),
  };
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
    if (field === STRING_TABLE_FIELD && wireType === WireType.LengthDelimited) {
      if (!isUtf8(reader.bytes())) return false;
    } else reader.skip(wireType);
  }
  return true;
}
