import { hash } from 'node:crypto';
import { type Stats, realpathSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ProblemsError, fsProblem, usageError } from '../errors.js';
import { type ConvertedProfile, convertCollapsed } from '../profile/collapsed.js';
import { type InputFormat, identifyInput, presumedPprofFailure } from '../profile/formats.js';
import { type ProfileFacts, ProfileError, decodeProfile, isGzip } from '../profile/pprof.js';
import { SharedFacts } from '../profile/shared-facts.js';
import { readSmallFile, readWhole, statOf } from './read-file.js';
import type { SendFacts } from '../protocol/protocol.js';

export const STDIN = '-';
/** A file descriptor the shell opened for us (process substitution, /dev/stdin): its writer is already there. */
const INHERITED_FD = /^\/(dev\/fd|proc\/self\/fd|proc\/\d+\/fd)\/\d+$|^\/dev\/stdin$/;
/** How stdin is named in messages and results. */
export const STDIN_NAME = '<stdin>';

/** One input, read and checked; the decoded profile itself is not kept. */
export interface InputProfile extends ProfileFacts {
  /** As the user named it (`<stdin>` for `-`). */
  name: string;
  /** The file it was read from; absent for stdin. */
  path?: string;
  /**
   * The bytes to send, held from validation: always for stdin, a pipe or a converted input (they cannot be
   * read twice), and for the first files of a run (KEPT_INPUTS_MAX). A file without them is read again at
   * send time and sent only if its hash is still `sha256`.
   */
  bytes?: Uint8Array | undefined;
  sha256: string;
  /** What the input was; a collapsed one was converted, and the pprof it became is what is sent. */
  format?: InputFormat;
  /** Labels its source decides: a scraped Go endpoint's `__name__` and `__delta__`. */
  ownLabels?: Readonly<Record<string, string>>;
}

/**
 * An input as sending needs it, once it is planned: its bytes or where to read them again, and the facts
 * of protocol.ts's SendFacts. The facts only planning uses (sample labels and the like) are let go: a bulk
 * run holds one of these per input until it ends.
 */
export type SendInput = Pick<InputProfile, 'name' | 'path' | 'bytes' | 'sha256' | 'format' | keyof SendFacts>;

/** One object of one shape for every input (V8 then keeps them small): ~120 bytes instead of ~300. */
export function forSending(input: SendInput): SendInput {
  return {
    name: input.name,
    path: input.path,
    bytes: input.bytes,
    sha256: input.sha256,
    format: input.format,
    gzipped: input.gzipped,
    size: input.size,
    encodedSize: input.encodedSize,
    shape: input.shape,
    timeNanos: input.timeNanos,
    durationNanos: input.durationNanos,
  };
}

export interface StdinSource {
  isTTY: boolean;
  read(signal?: AbortSignal): Promise<Uint8Array>;
}

/** The bytes to send could not be had again: the file changed or went away after it was validated. */
export class InputChangedError extends Error {
  override name = 'InputChangedError';
}

/** The inputs a run names, in order. */
export interface InputNames {
  names: string[];
  /**
   * Every one is a file that a folder's listing gave as a regular file (the run named only folders), so
   * it is opened without the stat a name the user gave gets first (in case that one is a named pipe).
   */
  listed: boolean;
}

/**
 * Files, directories (their regular files, sorted; with `recursive`, their subdirectories' too) and `-`,
 * in the order given, each file once. With `allowEmpty` (a dump folder a cron job empties), a folder or
 * pattern with nothing in it is no mistake: there is just nothing new to send.
 */
export async function expandInputs(args: string[], opts: { recursive?: boolean; allowEmpty?: boolean } = {}): Promise<InputNames> {
  if (args.length === 0) throw usageError('no profiles given: pass pprof files, directories, or - for stdin');
  if (args.filter((a) => a === STDIN).length > 1) throw usageError('- (stdin) given more than once; it can be read only once');
  const out: string[] = [];
  const problems: string[] = [];
  const listed = { directories: 0, links: 0 };
  for (const arg of args) {
    if (arg === STDIN) {
      out.push(arg);
      continue;
    }
    try {
      const st = await stat(arg).catch(async (err: NodeJS.ErrnoException) => {
        // A pattern the shell did not expand (quoted, or from cron): expanded here, matches sorted.
        if (err.code !== 'ENOENT' || !/[*?[{]/.test(arg)) throw err;
        const { glob } = await import('tinyglobby');
        const matches = (await glob(arg, { onlyFiles: true, expandDirectories: false })).sort();
        if (matches.length === 0 && !opts.allowEmpty) problems.push(`${arg}: the pattern matches no file`);
        out.push(...matches);
        return undefined;
      });
      if (st === undefined) continue;
      if (!st.isDirectory()) {
        out.push(arg);
        continue;
      }
      listed.directories++;
      const files = (await filesIn(arg, opts.recursive ?? false, problems, listed)).sort();
      if (files.length === 0 && problems.length === 0 && !opts.allowEmpty) problems.push(`${arg}: directory has no files`);
      out.push(...files);
    } catch (err) {
      problems.push(`${arg}: ${fsProblem(err)}`);
    }
  }
  if (problems.length > 0) throw new ProblemsError('INPUT', problems.sort());
  const onlyFolders = listed.directories === args.length;
  // One directory without symlinks lists each file once (subdirectories are real ones): there is
  // nothing to resolve, and a bulk run is spared a realpath and a key per file.
  if (args.length === 1 && onlyFolders && listed.links === 0) return { names: out, listed: true };
  // The same file by two spellings (f, ./f, /abs/f, a symlink) is sent once, under its first name.
  const seen = new Set<string>();
  const unique: string[] = [];
  for (const name of out) {
    // /dev/fd/63 from <(…) resolves to "pipe:[…]", which realpath refuses: the name is the key then.
    const key = name === STDIN ? STDIN : realKey(name);
    if (!seen.has(key)) unique.push(name);
    seen.add(key);
  }
  return { names: unique, listed: onlyFolders };
}

/**
 * One realpath(3) call, synchronously: from the inode cache it takes microseconds, where 1000 awaited
 * ones took 15–80 ms. A name that cannot be resolved is its own key (its read says what is wrong).
 */
function realKey(name: string): string {
  try {
    return realpathSync.native(name);
  } catch {
    return name;
  }
}

async function filesIn(dir: string, recursive: boolean, problems: string[], listed: { directories: number; links: number }): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  // A regular file is taken as listed, without a promise of its own: a folder of 20 000 files made as
  // many, all alive until the last was done, and V8 moved them to the old generation as garbage (~6 MiB
  // of that run's peak). Only symlinks are looked at.
  // Every path is the folder's one prefix and the entry's name, as join() spells it (an entry's name has
  // no slash, and is never . or ..), not join() per entry: it normalises the whole path again each time,
  // and left a 32-byte string wrapper per path alive beside the path itself (20 000 files: ~0.5 MiB at
  // the peak, ~1 MiB of peak RSS with the garbage).
  const prefix = join(dir, '_').slice(0, -1);
  const files: string[] = [];
  for (const e of entries) if (e.isFile()) files.push(prefix + e.name);
  const symlinks = entries.filter((e) => e.isSymbolicLink());
  listed.links += symlinks.length;
  const links = await Promise.all(symlinks.map((e) => linkedFile(join(dir, e.name), problems)));
  for (const path of links) if (path !== undefined) files.push(path);
  if (!recursive) return files;
  // Real directories only: following a symlinked directory could loop.
  for (const sub of entries.filter((e) => e.isDirectory())) files.push(...(await filesIn(join(dir, sub.name), true, problems, listed)));
  return files;
}

/**
 * A symlink in a directory, kept when it points to a file: skipping it would drop a profile without a
 * word, and one that points nowhere is said, not skipped.
 */
async function linkedFile(path: string, problems: string[]): Promise<string | undefined> {
  try {
    return (await stat(path)).isFile() ? path : undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push(code === 'ENOENT' ? `${path}: a symlink to nothing (its target does not exist); remove it or point it at a profile` : `${path}: ${fsProblem(err)}`);
    return undefined;
  }
}

/** How inputs are read: `--format` (forced; else told by content) and `--sample-rate` for collapsed stacks. */
export interface ReadOptions {
  format?: InputFormat;
  sampleRateHz?: number;
}

/**
 * Inputs' bytes kept from validation to sending, so that they are not read (and hashed) again: the first
 * ones of a run, up to these bounds. Past them inputs are read again when their turn comes, so that memory
 * does not grow with the number of inputs.
 */
export const KEPT_INPUTS_MAX = { inputs: 2048, bytes: 16 * 1024 * 1024 };

/**
 * What the inputs of one run share while they are read: the facts they have in common, the bytes kept,
 * and whether they are files a folder's listing gave (InputNames.listed).
 */
export class ReadSession {
  readonly facts = new SharedFacts();
  readonly listed: boolean;
  #inputs: number;
  #bytes: number;

  constructor(opts: { listed?: boolean; bounds?: { inputs: number; bytes: number } } = {}) {
    this.listed = opts.listed ?? false;
    this.#inputs = (opts.bounds ?? KEPT_INPUTS_MAX).inputs;
    this.#bytes = (opts.bounds ?? KEPT_INPUTS_MAX).bytes;
  }

  /** True (and counted) when an input of this size fits what is left of the bounds. */
  keep(size: number): boolean {
    if (this.#inputs <= 0 || size > this.#bytes) return false;
    this.#inputs--;
    this.#bytes -= size;
    return true;
  }
}

export async function readInput(arg: string, stdin: StdinSource, signal?: AbortSignal, opts: ReadOptions = {}, session = new ReadSession()): Promise<InputProfile> {
  return readInputNow(arg, stdin, signal, opts, session);
}

/**
 * readInput, at once when it can be: a small regular file (nearly every input of a bulk run) is read and
 * checked synchronously, without the promises and turns of the event loop an asynchronous read costs
 * each input; anything else gives a promise. A problem is thrown, or the promise rejects with it.
 */
export function readInputNow(arg: string, stdin: StdinSource, signal?: AbortSignal, opts: ReadOptions = {}, session = new ReadSession()): InputProfile | Promise<InputProfile> {
  const small = arg === STDIN ? undefined : readSmallFile(arg, session.listed);
  return small ? checkedFile(arg, small, undefined, opts, session) : readOther(arg, stdin, signal, opts, session);
}

/** stdin, a pipe or device, or a file too large to read at once: without blocking the event loop. */
async function readOther(arg: string, stdin: StdinSource, signal: AbortSignal | undefined, opts: ReadOptions, session: ReadSession): Promise<InputProfile> {
  if (arg === STDIN) {
    if (stdin.isTTY) throw usageError('- reads a profile from stdin, but stdin is a terminal: pipe a profile in', 'INPUT');
    const bytes = await stdin.read(signal);
    const { converted, ...checked } = check(STDIN_NAME, bytes, opts, session.facts);
    return Object.assign(checked, { bytes: converted ? converted.bytes : bytes });
  }
  const kind = await statOf(arg).catch(() => undefined);
  // A named pipe has no writer until someone opens it: reading could wait for ever, out of reach of any signal.
  if (kind?.isFIFO() && !INHERITED_FD.test(arg))
    throw usageError(`${arg}: a named pipe (FIFO); send what is written to it through stdin instead: pyro-push - < ${arg}`, 'INPUT');
  const bytes = await readWhole(arg, signal).catch((err: NodeJS.ErrnoException) => {
    if (signal?.aborted) throw signal.reason;
    throw usageError(`${arg}: ${fsProblem(err)}`, 'INPUT', err);
  });
  return checkedFile(arg, bytes, kind, opts, session);
}

function checkedFile(arg: string, bytes: Buffer, kind: Stats | undefined, opts: ReadOptions, session: ReadSession): InputProfile {
  const { converted, ...checked } = check(arg, bytes, opts, session.facts);
  // Converted (collapsed stacks), or from a pipe the shell opened (<(…), /dev/stdin) that can be read only
  // once: the bytes to send are kept, as stdin's are.
  // Object.assign, not `{ ...checked, path }`: V8 gives every object made by that spread a hidden class of
  // its own (~0.5 KiB an input, 10 MiB for 20 000 inputs); these share one.
  if (converted || (kind && !kind.isFile())) return Object.assign(checked, { bytes: converted ? converted.bytes : bytes });
  // Within the run's bounds the bytes checked are the bytes sent, as they are; past them, read again.
  return Object.assign(checked, { path: arg, bytes: session.keep(bytes.length) ? bytes : undefined });
}

/** The bytes to send, checked to be the ones validated (a file rewritten meanwhile is not sent). */
export async function loadBytes(input: Pick<SendInput, 'name' | 'path' | 'bytes' | 'sha256'>, signal?: AbortSignal): Promise<Uint8Array> {
  if (input.bytes) return input.bytes;
  let bytes: Uint8Array;
  try {
    bytes = readSmallFile(input.path as string) ?? (await readWhole(input.path as string, signal));
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw new InputChangedError(`${input.name}: ${fsProblem(err)} since it was validated; not sent`, { cause: err });
  }
  if (sha256(bytes) !== input.sha256) throw new InputChangedError(`${input.name} changed after it was validated; not sent`);
  return bytes;
}

/**
 * What the input is (by content, or as --format says) and its facts: a pprof profile is checked, collapsed
 * stacks are converted to pprof first (and that is what is checked and sent), a JFR recording is kept as
 * it is for /ingest, which parses it.
 */
function check(name: string, bytes: Uint8Array, opts: ReadOptions, facts: SharedFacts): Omit<InputProfile, 'path' | 'bytes'> & { converted?: ConvertedProfile } {
  try {
    // Empty is said as every other pprof problem is (formats.ts would list every format it reads).
    const { format, inflated, presumed } = bytes.length === 0 ? { format: 'pprof' as const } : identifyInput(bytes, opts.format, { presumePprof: true });
    if (format === 'jfr') return { name, format, sha256: sha256(bytes), ...recordingFacts(bytes) };
    if (format === 'collapsed') {
      const converted = convertCollapsed(bytes, opts.sampleRateHz === undefined ? {} : { sampleRateHz: opts.sampleRateHz });
      return { name, format, sha256: sha256(converted.bytes), ...facts.share(decodeProfile(converted.bytes)), converted };
    }
    return { name, format, sha256: sha256(bytes), ...facts.share(checkPprof(bytes, inflated, presumed === true)) };
  } catch (err) {
    if (err instanceof ProfileError) throw usageError(`${name}: ${err.message}`, 'INPUT', err);
    throw err;
  }
}

/**
 * decodeProfile; an input that was only presumed pprof and fails it is sniffed properly, so that one that
 * is none of the formats read is told so, as it would have been before the check.
 */
function checkPprof(bytes: Uint8Array, inflated: Uint8Array | undefined, presumed: boolean): ProfileFacts {
  try {
    return decodeProfile(bytes, inflated);
  } catch (err) {
    throw presumed && err instanceof ProfileError ? presumedPprofFailure(bytes, err) : err;
  }
}

/** A recording the server parses itself (JFR): only its size is known here. */
function recordingFacts(bytes: Uint8Array): ProfileFacts {
  return {
    gzipped: isGzip(bytes),
    size: bytes.length,
    uncompressedSize: bytes.length,
    encodedSize: bytes.length,
    shape: { sampleTypes: [], periodType: '', periodUnit: '' },
    sampleTypeUnits: [],
    sampleCount: 0,
    storedSampleCount: 0,
    sampleLabelKeys: new Set(),
    sampleLabelKeySets: [],
    sampleLabelExamples: [],
    sampleLabelValueBytes: new Map(),
    timeNanos: 0n,
    durationNanos: 0n,
  };
}

/**
 * The hash an input is known by (`InputProfile.sha256`): a file read again must still have it. The one-shot
 * `crypto.hash` (Node 20.12), not a Hash object per input: a third of the time for a small file.
 */
export function sha256(bytes: Uint8Array): string {
  return hash('sha256', bytes, 'hex');
}
