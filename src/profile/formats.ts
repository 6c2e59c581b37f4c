import { constants, gunzipSync } from 'node:zlib';
import { usageError } from '../errors.js';
import { COLLAPSED_SHAPE } from './collapsed.js';
import { ProfileError, decodeProfile, isGzip } from './pprof.js';

/**
 * What an input is, told by its content (never its name): pprof, JFR or collapsed stacks, each gzipped or
 * not. Only a head of the input is looked at, so this is a sniff: the pprof check (`decodeProfile`) and the
 * collapsed converter give the verdict, with their precise messages.
 */

export const INPUT_FORMATS = ['pprof', 'collapsed', 'jfr'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];
export type DetectedFormat = InputFormat | 'unknown';

/** The JFR chunk magic, `FLR\0` (then a u16 major and u16 minor version), as the JDK and jfr-parser check it. */
export const JFR_MAGIC = Uint8Array.of(0x46, 0x4c, 0x52, 0x00);
/** How much of an input (gunzipped) the sniff looks at. */
export const SNIFF_BYTES = 64 * 1024;

export const FORMATS_UNDERSTOOD = `pprof (gzipped or not), collapsed stacks (${COLLAPSED_SHAPE}) or JFR (Java Flight Recorder)`;

export interface Detection {
  format: DetectedFormat;
  /** The input is gzip (whatever is inside). */
  gzipped: boolean;
}

export interface SniffOptions {
  /** `bytes` is only the start of the input (a file's head, read so that a long file is not read twice). */
  partial?: boolean;
}

export function detectFormat(bytes: Uint8Array, opts: SniffOptions = {}): DetectedFormat {
  return sniffFormat(bytes, opts).format;
}

/**
 * - JFR: starts with `FLR\0`;
 * - pprof: protobuf whose top-level fields are pprof's, with the wire types pprof gives them, and whose
 *   sample types (when whole in the head) are `ValueType`s;
 * - collapsed: text (UTF-8, no control characters but tab, CR and LF) whose first line that is neither
 *   blank nor a `#` comment ends in a space and a count;
 * - gzip: the same, looking at the gunzipped head. A gzip that cannot be opened at all is called pprof (its
 *   conventional content), so that `decodeProfile` names the damage.
 */
export function sniffFormat(bytes: Uint8Array, opts: SniffOptions = {}): Detection {
  const whole = !opts.partial;
  if (!isGzip(bytes)) return { format: sniffContent(bytes.subarray(0, SNIFF_BYTES), whole && bytes.length <= SNIFF_BYTES), gzipped: false };
  const head = gunzipHead(bytes, whole);
  if (head === undefined) return { format: 'pprof', gzipped: true };
  return { format: sniffContent(head.bytes, head.complete), gzipped: true };
}

/** A `--format` value, or a clear refusal listing the values taken. */
export function parseFormat(value: string): InputFormat {
  const format = value.trim().toLowerCase();
  if ((INPUT_FORMATS as readonly string[]).includes(format)) return format as InputFormat;
  throw usageError(`--format ${JSON.stringify(value)} is not a format pyro-push reads; use one of: ${INPUT_FORMATS.join(', ')}`);
}

/** The format to read an input as: the forced one when given, else the sniffed one; unknown is refused. */
export function resolveFormat(bytes: Uint8Array, forced?: InputFormat, opts: SniffOptions = {}): InputFormat {
  if (forced !== undefined) return forced;
  const format = detectFormat(bytes, opts);
  if (format === 'unknown') throw new ProfileError(unknownFormatMessage(bytes));
  return format;
}

/** The one line for an input that is none of the formats understood. */
export function unknownFormatMessage(bytes: Uint8Array): string {
  if (bytes.length === 0) return `empty input; expected ${FORMATS_UNDERSTOOD}`;
  // What the pprof reader saw ("only 3 bytes; is it text?") is the likeliest help: said first.
  let why = '';
  try {
    decodeProfile(bytes);
  } catch (err) {
    const reason = err instanceof ProfileError ? /^not a pprof profile \((.*)\)$/.exec(err.message)?.[1] : undefined;
    if (reason) why = ` (${reason})`;
  }
  return `not a pprof profile${why}, collapsed stacks or a JFR recording; pyro-push reads ${FORMATS_UNDERSTOOD}; --format forces one`;
}

function sniffContent(head: Uint8Array, complete: boolean): DetectedFormat {
  if (head.length === 0) return 'unknown';
  if (startsWith(head, JFR_MAGIC)) return 'jfr';
  if (looksCollapsed(head, complete)) return 'collapsed';
  if (looksPprof(head, complete)) return 'pprof';
  return 'unknown';
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/**
 * The first up to SNIFF_BYTES of a gzip's content, inflating growing prefixes so that a bomb costs little;
 * undefined when the gzip cannot be opened (damaged or cut short: `decodeProfile` names which).
 */
function gunzipHead(bytes: Uint8Array, whole: boolean): { bytes: Uint8Array; complete: boolean } | undefined {
  const maxOutputLength = 64 * SNIFF_BYTES;
  let head: Uint8Array | undefined;
  for (let take = 1024; ; take *= 8) {
    const last = take >= bytes.length;
    // A whole input's last step is a plain gunzip, below: it tells a gzip cut short from a complete one.
    if (last && whole) break;
    try {
      // Z_SYNC_FLUSH: a prefix of the stream gives what it holds instead of an "unexpected end" error.
      head = gunzipSync(bytes.subarray(0, take), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength });
      if (head.length >= SNIFF_BYTES) return { bytes: head.subarray(0, SNIFF_BYTES), complete: false };
    } catch {
      break;
    }
    if (last) break;
  }
  if (!whole) return head && head.length > 0 ? { bytes: head, complete: false } : undefined;
  try {
    const out = gunzipSync(bytes, { maxOutputLength });
    return { bytes: out.subarray(0, SNIFF_BYTES), complete: out.length <= SNIFF_BYTES };
  } catch (err) {
    const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    return tooLarge && head ? { bytes: head.subarray(0, SNIFF_BYTES), complete: false } : undefined;
  }
}

/** Collapsed text: the head is UTF-8 text and its first stack line is `stack count`. */
function looksCollapsed(head: Uint8Array, complete: boolean): boolean {
  let text: string;
  try {
    // stream: a head cut inside a character is not an error.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: !complete });
  } catch {
    return false;
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return false;
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // A first stack longer than the head (deep stacks) is cut short: its frames are all there is to see.
    if (!complete && i === lines.length - 1) return line.includes(';');
    return /[ \t]\d+$/.test(line);
  }
  return false;
}

// pprof's top-level fields (profile.proto): 1–6 and 11 are messages or strings, 7–10, 12, 14, 15 varints,
// 13 (comment) a varint, packed or not.
const LEN = 2;
const VARINT = 0;
const PPROF_FIELDS = new Map<number, number[]>([
  [1, [LEN]], [2, [LEN]], [3, [LEN]], [4, [LEN]], [5, [LEN]], [6, [LEN]], [11, [LEN]],
  [7, [VARINT]], [8, [VARINT]], [9, [VARINT]], [10, [VARINT]], [12, [VARINT]], [14, [VARINT]], [15, [VARINT]],
  [13, [VARINT, LEN]],
]);

/** Walks the top-level protobuf fields of the head: every one must be a pprof field with pprof's wire type. */
function looksPprof(head: Uint8Array, complete: boolean): boolean {
  let pos = 0;
  let fields = 0;
  while (pos < head.length) {
    const tag = varint(head, pos);
    if (tag === undefined) return !complete && fields > 0;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    const wires = PPROF_FIELDS.get(field);
    // Fields after 15 may come with a newer profile.proto: any valid wire type.
    if (wires ? !wires.includes(wire) : field < 16 || ![0, 1, 2, 5].includes(wire)) return false;
    pos = tag.next;
    if (wire === VARINT) {
      const v = varint(head, pos);
      if (v === undefined) return !complete && fields > 0;
      pos = v.next;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else {
      const len = varint(head, pos);
      if (len === undefined) return !complete && fields > 0;
      const end = len.next + len.value;
      if (end > head.length) return !complete || fields > 0;
      if ((field === 1 || field === 11) && !isValueType(head.subarray(len.next, end))) return false;
      pos = end;
    }
    fields++;
  }
  return fields > 0 && pos <= head.length;
}

/** `ValueType { int64 type = 1; int64 unit = 2; }`: varints only. */
function isValueType(bytes: Uint8Array): boolean {
  let pos = 0;
  while (pos < bytes.length) {
    const tag = varint(bytes, pos);
    if (tag === undefined || (tag.value !== 8 && tag.value !== 16)) return false;
    const v = varint(bytes, tag.next);
    if (v === undefined) return false;
    pos = v.next;
  }
  return true;
}

/** A varint below 2^53 (enough for tags and lengths), or undefined when cut short or too long. */
function varint(bytes: Uint8Array, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < bytes.length && i < pos + 10; i++) {
    const b = bytes[i] as number;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return { value, next: i + 1 };
  }
  return undefined;
}
