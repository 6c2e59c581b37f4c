import { open } from 'node:fs/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import { Profile, StringTable } from 'pprof-format';
import { MAX_UNCOMPRESSED, ProfileError, gunzipWhole, isGzip, overMaxUncompressed } from './pprof.js';

/**
 * Collapsed ("folded") stacks — `frame;frame;frame count` per line, root first — as written by FlameGraph's
 * stackcollapse-*, async-profiler's `collapsed` output, py-spy `--format raw` and perf + stackcollapse-perf,
 * converted to a pprof profile so it can go over the Push API like any other.
 */

/** A line longer than this is not a stack: refused rather than held. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;
/** The highest sample rate taken: 1 GHz, a period of 1 ns. */
export const MAX_SAMPLE_RATE_HZ = 1e9;
export const COLLAPSED_SHAPE = '"frame;frame;frame count" per line';

export interface CollapsedOptions {
  /**
   * How often the profiler sampled (perf -F, async-profiler's interval, py-spy --rate). With it the profile
   * is CPU time: a second sample type `cpu/nanoseconds` (count × period) and a period of 1e9/Hz ns.
   */
  sampleRateHz?: number;
  /** pprof `time_nanos`; 0 (the default) means "now" to the server. */
  timeNanos?: bigint;
  /** pprof `duration_nanos`; 0 (the default) means unknown. */
  durationNanos?: bigint;
}

export interface CollapsedSummary {
  /** Stack lines read (blank lines and `#` comments are not counted). */
  lines: number;
  /** Distinct stacks: the pprof samples (identical stacks are merged). */
  stacks: number;
  /** The sum of the counts. */
  samples: number;
  /** Distinct frames: one pprof function and one location each. */
  frames: number;
  /** With a sample rate: the period, in nanoseconds (1e9/Hz, rounded). */
  periodNanos?: number;
}

export interface ConvertedProfile {
  /** The pprof profile, gzipped. */
  bytes: Uint8Array;
  summary: CollapsedSummary;
}

/** Checks a sample rate as a user gave it (a flag's text or a number) and returns it in Hz. */
export function parseSampleRate(value: string | number): number {
  const hz = typeof value === 'number' ? value : /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(hz) || hz <= 0 || hz > MAX_SAMPLE_RATE_HZ || Math.round(1e9 / hz) < 1)
    throw new ProfileError(`sample rate ${JSON.stringify(String(value))} is not a frequency in Hz (a number above 0, at most 1000000000, e.g. 99 or 100)`);
  return hz;
}

/**
 * Builds one profile from collapsed lines given one at a time: memory grows with the distinct frames and
 * stacks, never with the number of lines.
 */
export class CollapsedBuilder {
  readonly #periodNanos: number | undefined;
  readonly #opts: CollapsedOptions;
  /** Frame name → function/location id (1-based, in order of first appearance). */
  readonly #frames = new Map<string, number>();
  /** Root-first frame ids joined by `,` → the summed count. */
  readonly #stacks = new Map<string, number>();
  #lines = 0;
  #seen = 0;
  #samples = 0;

  constructor(opts: CollapsedOptions = {}) {
    this.#opts = opts;
    this.#periodNanos = opts.sampleRateHz === undefined ? undefined : Math.round(1e9 / parseSampleRate(opts.sampleRateHz));
  }

  /** One line (with or without its `\n`/`\r\n`); `lineNumber` (1-based) is for messages. */
  addLine(text: string, lineNumber: number): void {
    this.#seen = lineNumber;
    let line = lineNumber === 1 && text.startsWith('\uFEFF') ? text.slice(1) : text;
    line = line.trim();
    if (line === '' || line.startsWith('#')) return;
    const cut = Math.max(line.lastIndexOf(' '), line.lastIndexOf('\t'));
    if (cut < 0) throw lineError(lineNumber, /^\d+$/.test(line) ? 'a count without a stack' : 'no count after the stack');
    const countText = line.slice(cut + 1);
    const stack = line.slice(0, cut).trimEnd();
    if (!/^\d+$/.test(countText)) throw lineError(lineNumber, `${quote(countText)} is not a count`);
    if (/[ \t]\d+$/.test(stack)) throw lineError(lineNumber, 'two counts: a differential folded file?');
    const count = Number(countText);
    if (!Number.isSafeInteger(count) || !Number.isSafeInteger(this.#samples + count)) throw lineError(lineNumber, 'counts add up to more than 2^53');
    const ids: number[] = [];
    for (const frame of stack.split(';')) {
      if (frame === '') throw lineError(lineNumber, 'an empty frame (";;" or ";" at an end)');
      let id = this.#frames.get(frame);
      if (id === undefined) {
        id = this.#frames.size + 1;
        this.#frames.set(frame, id);
      }
      ids.push(id);
    }
    const key = ids.join(',');
    this.#stacks.set(key, (this.#stacks.get(key) ?? 0) + count);
    this.#lines++;
    this.#samples += count;
  }

  get summary(): CollapsedSummary {
    const summary: CollapsedSummary = { lines: this.#lines, stacks: 0, samples: this.#samples, frames: this.#frames.size };
    for (const count of this.#stacks.values()) if (count > 0) summary.stacks++;
    if (this.#periodNanos !== undefined) summary.periodNanos = this.#periodNanos;
    return summary;
  }

  /** The profile, gzipped; refuses input that had no stack or only zero counts. */
  finish(): ConvertedProfile {
    if (this.#seen === 0) throw new ProfileError(`empty input; expected collapsed stacks (${COLLAPSED_SHAPE})`);
    if (this.#lines === 0) throw new ProfileError(`no stacks in ${plural(this.#seen, 'line')} (only blank lines and # comments); expected ${COLLAPSED_SHAPE}`);
    if (this.#samples === 0) throw new ProfileError(`every count is 0 in ${plural(this.#lines, 'stack line')}; no samples to push`);
    const strings = new StringTable();
    const period = this.#periodNanos;
    const sampleType = [{ type: strings.dedup('samples'), unit: strings.dedup('count') }];
    if (period !== undefined) sampleType.push({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') });
    const functions = [];
    const locations = [];
    for (const [name, id] of this.#frames) {
      const nameIndex = strings.dedup(name);
      functions.push({ id, name: nameIndex, systemName: nameIndex });
      locations.push({ id, line: [{ functionId: id }] });
    }
    const samples = [];
    for (const [key, count] of this.#stacks) {
      if (count === 0) continue;
      // pprof lists a sample's locations leaf first; collapsed lines are root first.
      const locationId = key.split(',').map(Number).reverse();
      samples.push({ locationId, value: period === undefined ? [count] : [count, BigInt(count) * BigInt(period)] });
    }
    const profile = new Profile({
      sampleType,
      sample: samples,
      location: locations,
      function: functions,
      stringTable: strings,
      timeNanos: this.#opts.timeNanos ?? 0,
      durationNanos: this.#opts.durationNanos ?? 0,
      ...(period === undefined ? {} : { periodType: { type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }, period }),
    });
    return { bytes: gzipSync(profile.encode()), summary: this.summary };
  }
}

/**
 * Converts collapsed stacks held in memory (gzipped or not, as read from stdin or a file). Lines are decoded
 * one at a time: no copy of the whole text is made.
 */
export function convertCollapsed(input: Uint8Array | string, opts: CollapsedOptions = {}): ConvertedProfile {
  const builder = new CollapsedBuilder(opts);
  if (typeof input === 'string') {
    let n = 0;
    let start = 0;
    while (start < input.length) {
      const end = input.indexOf('\n', start);
      builder.addLine(input.slice(start, end < 0 ? input.length : end), ++n);
      start = end < 0 ? input.length : end + 1;
    }
    return builder.finish();
  }
  const bytes = isGzip(input) ? gunzip(input) : input;
  const lines = new LineSplitter();
  for (const line of lines.push(bytes)) builder.addLine(line.text, line.number);
  for (const line of lines.end()) builder.addLine(line.text, line.number);
  return builder.finish();
}

/** Converts collapsed stacks from a stream of chunks (not gunzipped here), holding one line at a time. */
export async function convertCollapsedStream(chunks: AsyncIterable<Uint8Array | string>, opts: CollapsedOptions = {}): Promise<ConvertedProfile> {
  const builder = new CollapsedBuilder(opts);
  const lines = new LineSplitter();
  for await (const chunk of chunks) {
    for (const line of lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) builder.addLine(line.text, line.number);
  }
  for (const line of lines.end()) builder.addLine(line.text, line.number);
  return builder.finish();
}

/**
 * Converts a collapsed-stacks file (gzipped or not) read as a stream: a file of any length is converted in
 * memory proportional to its distinct frames and stacks. File-system errors are thrown as they are.
 */
export async function convertCollapsedFile(path: string, opts: CollapsedOptions = {}, signal?: AbortSignal): Promise<ConvertedProfile> {
  signal?.throwIfAborted();
  const handle = await open(path, 'r');
  try {
    const magic = new Uint8Array(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    const stream = handle.createReadStream({ start: 0, autoClose: false, ...(signal ? { signal } : {}) });
    if (!isGzip(magic.subarray(0, bytesRead))) return await convertCollapsedStream(stream, opts);
    const gunzipped = stream.pipe(createGunzip());
    stream.on('error', (err) => gunzipped.destroy(err));
    try {
      return await convertCollapsedStream(gunzipped, opts);
    } catch (err) {
      if (typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).code?.startsWith('Z_'))
        throw new ProfileError(`gzip data is damaged (${(err as Error).message}); re-create the file`, { cause: err });
      throw err;
    } finally {
      gunzipped.destroy();
    }
  } finally {
    await handle.close();
  }
}

/** Splits bytes into lines across chunk boundaries; each line is decoded as strict UTF-8. */
class LineSplitter {
  #pending: Buffer[] = [];
  #pendingSize = 0;
  #number = 0;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });

  *push(chunk: Uint8Array): Generator<{ text: string; number: number }> {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      // A line whole in this chunk is decoded where it is; only a line split across chunks is copied.
      if (this.#pendingSize === 0) yield this.#decode(buf.subarray(start, nl), ++this.#number);
      else {
        this.#hold(buf.subarray(start, nl));
        yield this.#take();
      }
      start = nl + 1;
    }
    if (start < buf.length) this.#hold(buf.subarray(start));
  }

  *end(): Generator<{ text: string; number: number }> {
    if (this.#pendingSize > 0) yield this.#take();
  }

  #hold(part: Buffer): void {
    this.#pendingSize += part.length;
    if (this.#pendingSize > MAX_LINE_BYTES)
      throw lineError(this.#number + 1, `longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB; not a stack`, false);
    // Copied: the chunk it came from may be reused by the stream.
    if (part.length > 0) this.#pending.push(Buffer.from(part));
  }

  #take(): { text: string; number: number } {
    const bytes = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingSize = 0;
    return this.#decode(bytes, ++this.#number);
  }

  #decode(bytes: Uint8Array, number: number): { text: string; number: number } {
    if (bytes.length > MAX_LINE_BYTES) throw lineError(number, `longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB; not a stack`, false);
    try {
      return { text: this.#decoder.decode(bytes), number };
    } catch {
      throw lineError(number, 'not valid UTF-8 (the server refuses such names)', false);
    }
  }
}

function gunzip(bytes: Uint8Array): Uint8Array {
  try {
    return gunzipWhole(bytes, MAX_UNCOMPRESSED);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw overMaxUncompressed(err);
    throw new ProfileError(`gzip data is damaged (${e.message}); re-create the file`, { cause: err });
  }
}

function lineError(lineNumber: number, why: string, shape = true): ProfileError {
  return new ProfileError(shape ? `line ${lineNumber}: expected "frame;frame count" (${why})` : `line ${lineNumber}: ${why}`);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
