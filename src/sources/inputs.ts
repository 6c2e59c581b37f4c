import { hash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { fsProblem, usageError } from '../errors.js';
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
    const { profile, converted } = check(STDIN_NAME, bytes, opts, session.facts);
    return Object.assign(profile, { bytes: converted ? converted.bytes : bytes });
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
  const { profile, converted } = check(arg, bytes, opts, session.facts);
  // Converted (collapsed stacks), or from a pipe the shell opened (<(…), /dev/stdin) that can be read only
  // once: the bytes to send are kept, as stdin's are.
  // Object.assign, not `{ ...profile, path }`: V8 gives every object made by that spread a hidden class of
  // its own (~0.5 KiB an input, 10 MiB for 20 000 inputs); these share one.
  if (converted || (kind && !kind.isFile())) return Object.assign(profile, { bytes: converted ? converted.bytes : bytes });
  // Within the run's bounds the bytes checked are the bytes sent, as they are; past them, read again.
  return Object.assign(profile, { path: arg, bytes: session.keep(bytes.length) ? bytes : undefined });
}

/** The bytes to send, checked to be the ones validated (a file rewritten meanwhile is not sent). */
export async function loadBytes(input: Pick<SendInput, 'name' | 'path' | 'bytes' | 'sha256'>, signal?: AbortSignal): Promise<Uint8Array> {
  if (input.bytes) return input.bytes;
  const path = input.path as string;
  let bytes: Uint8Array | undefined;
  try {
    // Read as the regular file it was when validated: no stat first (18 000 of them in a 20 000-file run).
    bytes = readSmallFile(path, true);
    if (bytes === undefined) {
      // Large, or no longer a regular file: what it became is not read (a pipe would wait for a writer).
      if (!(await statOf(path)).isFile()) throw new InputChangedError(`${input.name} is no longer a regular file; not sent`);
      bytes = await readWhole(path, signal);
    }
  } catch (err) {
    if (err instanceof InputChangedError) throw err;
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
function check(name: string, bytes: Uint8Array, opts: ReadOptions, facts: SharedFacts): { profile: Omit<InputProfile, 'path' | 'bytes'>; converted?: ConvertedProfile } {
  // The facts object is the input's own (decodeProfile makes a new one each time), so the input is that
  // object with its name, format and hash added: no copy of every fact for each of a bulk run's inputs.
  try {
    // Empty is said as every other pprof problem is (formats.ts would list every format it reads).
    const { format, inflated, presumed } = bytes.length === 0 ? { format: 'pprof' as const } : identifyInput(bytes, opts.format, { presumePprof: true });
    if (format === 'jfr') return { profile: Object.assign(recordingFacts(bytes), { name, format, sha256: sha256(bytes) }) };
    if (format === 'collapsed') {
      const converted = convertCollapsed(bytes, opts.sampleRateHz === undefined ? {} : { sampleRateHz: opts.sampleRateHz });
      return { profile: Object.assign(facts.share(decodeProfile(converted.bytes)), { name, format, sha256: sha256(converted.bytes) }), converted };
    }
    return { profile: Object.assign(facts.share(checkPprof(bytes, inflated, presumed === true)), { name, format, sha256: sha256(bytes) }) };
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
