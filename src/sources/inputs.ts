import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { Profile } from 'pprof-format';
import { ProblemsError, fsProblem, usageError } from '../errors.js';
import type { ProfileShape } from '../profile/name.js';

/** A gzip bomb guard far above the server's 4 MiB limit. */
const MAX_UNCOMPRESSED = 256 * 1024 * 1024;
const STRING_TABLE_FIELD = 6;
export const STDIN = '-';

/** What was learnt from reading and decoding one input; the decoded profile itself is not kept. */
export interface InputProfile {
  /** As the user named it (`<stdin>` for `-`). */
  name: string;
  /** Re-read at send time so that a thousand inputs are never all in memory; absent for stdin. */
  path?: string;
  /** Only stdin is held: it cannot be read twice. */
  bytes?: Uint8Array;
  sha256: string;
  /** Bytes as read and as sent. */
  size: number;
  gzipped: boolean;
  uncompressedSize: number;
  shape: ProfileShape;
  sampleCount: number;
  sampleLabelKeys: Set<string>;
  /** 0 means "now" to the server. */
  timeNanos: bigint;
}

export interface StdinSource {
  isTTY: boolean;
  read(): Promise<Uint8Array>;
}

/** Files, directories (their regular files, sorted) and `-`, in the order given, each file once. */
export async function expandInputs(args: string[]): Promise<string[]> {
  if (args.length === 0) throw usageError('no profiles given: pass pprof files, directories, or - for stdin');
  if (args.filter((a) => a === STDIN).length > 1) throw usageError('- (stdin) given more than once; it can be read only once');
  const out: string[] = [];
  const problems: string[] = [];
  for (const arg of args) {
    if (arg === STDIN) {
      out.push(arg);
      continue;
    }
    try {
      const st = await stat(arg);
      if (!st.isDirectory()) {
        out.push(arg);
        continue;
      }
      const entries = await readdir(arg, { withFileTypes: true });
      // A symlink to a file counts as a file: skipping it would drop a profile without a word.
      const isFile = async (e: Dirent) => e.isFile() || (e.isSymbolicLink() && (await stat(join(arg, e.name)).then((s) => s.isFile(), () => false)));
      const files = (await Promise.all(entries.map(async (e) => ((await isFile(e)) ? join(arg, e.name) : undefined))))
        .filter((f): f is string => f !== undefined)
        .sort();
      if (files.length === 0) problems.push(`${arg}: directory has no files`);
      out.push(...files);
    } catch (err) {
      problems.push(`${arg}: ${fsProblem(err)}`);
    }
  }
  if (problems.length > 0) throw new ProblemsError('INPUT', problems);
  // The same file by two spellings (f, ./f, /abs/f, a symlink) is sent once, under its first name.
  const seen = new Set<string>();
  const unique: string[] = [];
  for (const name of out) {
    const key = name === STDIN ? STDIN : await realpath(name);
    if (!seen.has(key)) unique.push(name);
    seen.add(key);
  }
  return unique;
}

export async function readInput(arg: string, stdin: StdinSource): Promise<InputProfile> {
  if (arg === STDIN) {
    if (stdin.isTTY) throw usageError('- reads a profile from stdin, but stdin is a terminal: pipe a profile in', 'INPUT');
    const bytes = await stdin.read();
    return { ...inspectProfile('<stdin>', bytes), bytes };
  }
  const bytes = await readFile(arg).catch((err: NodeJS.ErrnoException) => {
    throw usageError(`${arg}: ${fsProblem(err)}`, 'INPUT');
  });
  return { ...inspectProfile(arg, bytes), path: arg };
}

/** The bytes to send, checked to be the ones validated (a file rewritten meanwhile is not sent). */
export async function loadBytes(input: InputProfile): Promise<Uint8Array> {
  if (input.bytes) return input.bytes;
  const bytes = await readFile(input.path as string);
  if (sha256(bytes) !== input.sha256) throw new Error(`${input.name} changed after it was validated; not sent`);
  return bytes;
}

/** Re-encodes with `time_nanos` = now, keeping the input's compression (`--override-timestamp`). */
export function withTimestamp(bytes: Uint8Array, gzipped: boolean, nowMs: number): Uint8Array {
  const profile = Profile.decode(gzipped ? gunzipSync(bytes) : bytes);
  profile.timeNanos = BigInt(nowMs) * 1_000_000n;
  const raw = profile.encode();
  return gzipped ? gzipSync(raw) : raw;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function inspectProfile(name: string, bytes: Uint8Array): Omit<InputProfile, 'path' | 'bytes'> {
  if (bytes.length === 0) throw usageError(`${name}: empty input; expected a pprof profile`, 'INPUT');
  const gzipped = isGzip(bytes);
  let raw: Uint8Array = bytes;
  if (gzipped) {
    try {
      raw = gunzipSync(bytes, { maxOutputLength: MAX_UNCOMPRESSED });
    } catch (err) {
      throw usageError(`${name}: gzip data is damaged (${(err as Error).message}); re-create the file`, 'INPUT');
    }
  }
  let profile: Profile;
  try {
    profile = Profile.decode(raw);
  } catch (err) {
    throw usageError(`${name}: not a pprof profile (${(err as Error).message})`, 'INPUT');
  }
  const strings = profile.stringTable.strings;
  const str = (i: number | bigint) => strings[Number(i)];
  const sampleTypes = profile.sampleType.map((t) => str(t.type));
  if (sampleTypes.length === 0 || sampleTypes.some((t) => t === undefined) || strings[0] !== '')
    throw usageError(`${name}: not a pprof profile (no sample types or a broken string table)`, 'INPUT');
  if (!stringTableIsUtf8(raw))
    throw usageError(`${name}: the profile's string table has invalid UTF-8; the server rejects it (fix the profiler's output)`, 'INPUT');
  const sampleLabelKeys = new Set<string>();
  for (const sample of profile.sample)
    for (const label of sample.label) if (Number(label.str) !== 0) sampleLabelKeys.add(str(label.key) ?? '');
  return {
    name,
    sha256: sha256(bytes),
    size: bytes.length,
    gzipped,
    uncompressedSize: raw.length,
    shape: {
      sampleTypes: sampleTypes as string[],
      periodType: str(profile.periodType?.type ?? 0) ?? '',
      periodUnit: str(profile.periodType?.unit ?? 0) ?? '',
    },
    sampleCount: profile.sample.length,
    sampleLabelKeys,
    timeNanos: BigInt(profile.timeNanos),
  };
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

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
