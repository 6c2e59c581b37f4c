import { constants, gunzipSync } from 'node:zlib';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { usageError } from '../errors.js';
import { COLLAPSED_SHAPE } from './collapsed.js';
import { ProfileError, decodeProfile, gunzipWhole, isGzip } from './pprof.js';

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
  /** A gzip's whole content, when the sniff had to inflate all of it anyway: the pprof check takes it as is. */
  inflated?: Uint8Array;
  /** Called pprof without looking at its fields (`presumePprof`): only the pprof check can tell. */
  presumed?: boolean;
}

export interface SniffOptions {
  /** `bytes` is only the start of the input (a file's head, read so that a long file is not read twice). */
  partial?: boolean;
  /**
   * Content that is neither JFR nor collapsed stacks is called pprof without the walk over its fields:
   * for a caller that checks it as pprof next, which walks all of it anyway (a third of the check of a
   * small profile). When that check fails, the caller sniffs again without this, to say which it was.
   */
  presumePprof?: boolean;
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
  const presume = opts.presumePprof === true;
  if (!isGzip(bytes)) return detection(sniffContent(bytes.subarray(0, SNIFF_BYTES), whole && bytes.length <= SNIFF_BYTES, presume), false, presume);
  const head = gunzipHead(bytes, whole);
  if (head === undefined) return { format: 'pprof', gzipped: true };
  return { ...detection(sniffContent(head.bytes, head.complete, presume), true, presume), ...(head.inflated && { inflated: head.inflated }) };
}

function detection(format: DetectedFormat, gzipped: boolean, presumed: boolean): Detection {
  return presumed && format === 'pprof' ? { format, gzipped, presumed } : { format, gzipped };
}

/** A `--format` value, or a clear refusal listing the values taken. */
export function parseFormat(value: string): InputFormat {
  const format = value.trim().toLowerCase();
  if ((INPUT_FORMATS as readonly string[]).includes(format)) return format as InputFormat;
  throw usageError(`--format ${JSON.stringify(value)} is not a format pyro-push reads; use one of: ${INPUT_FORMATS.join(', ')}`);
}

/**
 * The format to read an input as: the forced one when given, else the sniffed one; unknown is refused.
 * With the gzip's content when the sniff inflated all of it (so that it is inflated once), and whether
 * pprof was only presumed (`presumePprof`).
 */
export function identifyInput(bytes: Uint8Array, forced?: InputFormat, opts: SniffOptions = {}): { format: InputFormat; inflated?: Uint8Array; presumed?: boolean } {
  if (forced !== undefined) return { format: forced };
  const { format, inflated, presumed } = sniffFormat(bytes, opts);
  if (format === 'unknown') throw new ProfileError(unknownFormatMessage(bytes));
  return { format, ...(inflated && { inflated }), ...(presumed && { presumed }) };
}

/**
 * The one line for an input that is none of the formats understood. `checked` is what the pprof check
 * threw for these bytes, when the caller has it already (else the check runs here).
 */
export function unknownFormatMessage(bytes: Uint8Array, checked?: ProfileError): string {
  if (bytes.length === 0) return `empty input; expected ${FORMATS_UNDERSTOOD}`;
  // What the pprof reader saw ("only 3 bytes; is it text?") is the likeliest help: said first.
  let failure = checked;
  if (failure === undefined) {
    try {
      decodeProfile(bytes);
    } catch (err) {
      if (err instanceof ProfileError) failure = err;
    }
  }
  const reason = failure && /^not a pprof profile \((.*)\)$/.exec(failure.message)?.[1];
  return `not a pprof profile${reason ? ` (${reason})` : ''}, collapsed stacks or a JFR recording; pyro-push reads ${FORMATS_UNDERSTOOD}; --format forces one`;
}

/**
 * What to report for an input that was only presumed pprof (`presumePprof`) and failed the check with
 * `err`: that, or, when the sniff says the input is none of the formats read, the line that names them.
 */
export function presumedPprofFailure(bytes: Uint8Array, err: ProfileError): ProfileError {
  return sniffFormat(bytes).format === 'unknown' ? new ProfileError(unknownFormatMessage(bytes, err)) : err;
}

function sniffContent(head: Uint8Array, complete: boolean, presumePprof: boolean): DetectedFormat {
  if (head.length === 0) return 'unknown';
  if (startsWith(head, JFR_MAGIC)) return 'jfr';
  if (looksCollapsed(head, complete)) return 'collapsed';
  if (presumePprof || looksPprof(head, complete)) return 'pprof';
  return 'unknown';
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/**
 * The first up to SNIFF_BYTES of a gzip's content, inflating growing prefixes so that a bomb costs little;
 * undefined when the gzip cannot be opened (damaged or cut short: `decodeProfile` names which).
 */
function gunzipHead(bytes: Uint8Array, whole: boolean): { bytes: Uint8Array; complete: boolean; inflated?: Uint8Array } | undefined {
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
    const out = gunzipWhole(bytes, maxOutputLength);
    return { bytes: out.subarray(0, SNIFF_BYTES), complete: out.length <= SNIFF_BYTES, inflated: out };
  } catch (err) {
    const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    return tooLarge && head ? { bytes: head.subarray(0, SNIFF_BYTES), complete: false } : undefined;
  }
}

/** Collapsed text: the head is UTF-8 text and its first stack line is `stack count`. */
function looksCollapsed(head: Uint8Array, complete: boolean): boolean {
  // Binary input (every pprof profile) has a control byte within its first few: told before any decoding.
  if (hasControlByte(head)) return false;
  let text: string;
  try {
    // stream: a head cut inside a character is not an error.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: !complete });
  } catch {
    return false;
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
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

/** A byte text never has: C0 controls but tab, LF and CR, and DEL (in UTF-8 they are never part of another character). */
function hasControlByte(bytes: Uint8Array): boolean {
  for (const b of bytes) if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return true;
  return false;
}

// pprof's top-level fields (profile.proto): 1–6 and 11 are messages or strings, 7–10, 12, 14, 15 varints,
// 13 (comment) a varint, packed or not.
const { LengthDelimited: LEN, Varint: VARINT } = WireType;
const PPROF_FIELDS = new Map<number, WireType[]>([
  [1, [LEN]], [2, [LEN]], [3, [LEN]], [4, [LEN]], [5, [LEN]], [6, [LEN]], [11, [LEN]],
  [7, [VARINT]], [8, [VARINT]], [9, [VARINT]], [10, [VARINT]], [12, [VARINT]], [14, [VARINT]], [15, [VARINT]],
  [13, [VARINT, LEN]],
]);
const ANY_WIRE_TYPE = [WireType.Varint, WireType.Bit64, WireType.LengthDelimited, WireType.Bit32];

/**
 * Walks the top-level protobuf fields of the head: every one must be a pprof field with pprof's wire type.
 * A head cut inside a field (not `complete`) still looks like pprof if a field came whole before it.
 */
function looksPprof(head: Uint8Array, complete: boolean): boolean {
  const r = new BinaryReader(head);
  let fields = 0;
  try {
    while (r.pos < r.len) {
      const [field, wire] = r.tag();
      const wires = PPROF_FIELDS.get(field);
      // Fields after 15 may come with a newer profile.proto: any valid wire type.
      if (wires ? !wires.includes(wire) : field < 16 || !ANY_WIRE_TYPE.includes(wire)) return false;
      if (wire === LEN) {
        const len = r.uint32();
        const end = r.pos + len;
        if (end > r.len) return !complete || fields > 0;
        if ((field === 1 || field === 11) && !isValueType(head.subarray(r.pos, end))) return false;
        r.pos = end;
      } else r.skip(wire);
      fields++;
    }
  } catch {
    // Cut short inside a tag or a value.
    return !complete && fields > 0;
  }
  return fields > 0;
}

/** `ValueType { int64 type = 1; int64 unit = 2; }`: varints only. */
function isValueType(bytes: Uint8Array): boolean {
  const r = new BinaryReader(bytes);
  try {
    while (r.pos < r.len) {
      const [field, wire] = r.tag();
      if ((field !== 1 && field !== 2) || wire !== VARINT) return false;
      r.skip(wire);
    }
  } catch {
    return false;
  }
  return true;
}
