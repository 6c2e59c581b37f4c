import { constants, gunzipSync } from 'node:zlib';
import { DELTA_LABEL, type Labels, NAME_LABEL, SERVICE_LABEL } from '../profile/labels.js';
import type { ProfileFacts } from '../profile/pprof.js';
import { CONNECT_CODES, parseConnectError } from './connect.js';
import type { PreparedRequest, Protocol, ProfileToSend } from './protocol.js';

/**
 * The legacy HTTP API, `POST /ingest` (PROTOCOL.md §6), as grafana/pyroscope v2 serves it:
 * pkg/ingester/pyroscope/ingest_handler.go (query parameters, formats, answers),
 * api/model/labelset/labelset.go (the `name` parameter), pkg/og/convert/pprof/profile.go (pprof: raw or
 * multipart, the labels it stores), pkg/og/convert/jfr/profile.go and grafana/jfr-parser pprof/pyroscope
 * (JFR), pkg/og/util/attime (from/until). JFR is sent exactly as pyroscope-java's PyroscopeExporter does.
 */
export const INGEST_PATH = '/ingest';
/** `spyName`: the server stores it as the `pyroscope_spy` label ("unknown" when absent). */
export const SPY_NAME = 'pyro-push';
export const SPY_LABEL = 'pyroscope_spy';
/** What the server calls a profile without `service_name`, as the Push API path does. */
export const UNKNOWN_SERVICE = 'unknown_service';
/** Series labels starting with `__` that /ingest keeps (pkg/model IsLabelAllowedForIngestion). */
const ALLOWED_PRIVATE = new Set(['__session_id__']);

// ---------------------------------------------------------------------------------------------------
// The `name` parameter: `app{k=v,k2=v2}`, read by labelset.Parse.

/** labelset.IsServiceNameRuneAllowed: the application name before `{`. */
const APP_NAME = /^[A-Za-z0-9_.\-/]+$/;
/** labelset.IsLabelNameRuneAllowed: a tag key. */
const TAG_KEY = /^[A-Za-z0-9_.]+$/;
const APP_CHAR = /[A-Za-z0-9_.\-/]/;
const KEY_CHAR = /[A-Za-z0-9_.]/;
/** Go's strings.TrimSpace set (unicode.IsSpace). */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/** The labels as /ingest carries them: the application name, the tags of `name`, and `spyName`. */
export interface IngestLabels {
  app: string;
  tags: Array<[string, string]>;
  spyName: string;
}

/**
 * Splits labels into what /ingest carries. `service_name` is the application name (the server stores it
 * back as `service_name`); `__name__` is not sent (the server derives it: from the sample types for pprof,
 * per JFR event for JFR); `__delta__` is not sent (the server always stores "false"); `pyroscope_spy`, if
 * given, is the `spyName` (the server adds that label from spyName, so a tag would be a duplicate).
 */
export function ingestLabels(labels: Labels): IngestLabels {
  const tags: Array<[string, string]> = [];
  for (const name of Object.keys(labels).sort()) {
    const value = labels[name] as string;
    if (name === NAME_LABEL || name === DELTA_LABEL || name === SERVICE_LABEL || name === SPY_LABEL || value === '') continue;
    tags.push([name, value]);
  }
  return { app: labels[SERVICE_LABEL] || UNKNOWN_SERVICE, tags, spyName: labels[SPY_LABEL] || SPY_NAME };
}

/** `app{k=v,…}` in the server's Normalized order (tags sorted by name); `app{}` with no tags. */
export function ingestName(labels: Labels): string {
  const { app, tags } = ingestLabels(labels);
  return `${app}{${tags.map(([k, v]) => `${k}=${v}`).join(',')}}`;
}

/**
 * Why these labels cannot be written into `name` so that the server reads back the same labels, one line
 * each (empty when they can). For every protocol-`ingest` endpoint, before anything is sent.
 */
export function ingestLabelProblems(labels: Labels): string[] {
  const problems: string[] = [];
  const service = labels[SERVICE_LABEL];
  if (service && !APP_NAME.test(service))
    problems.push(`label service_name: ${JSON.stringify(service)} has ${JSON.stringify(firstBad(service, APP_CHAR))}, which the /ingest API refuses in the application name (only A-Z a-z 0-9 _ . - /); use --protocol push or rename it`);
  const delta = labels[DELTA_LABEL];
  if (delta !== undefined && delta !== '' && delta !== 'false')
    problems.push(`label __delta__="${delta}": the /ingest API always stores __delta__="false"; use --protocol push`);
  for (const name of Object.keys(labels).sort()) {
    const value = labels[name] as string;
    if (name === NAME_LABEL || name === DELTA_LABEL || name === SERVICE_LABEL || name === SPY_LABEL || value === '') continue;
    if (name.startsWith('__') && !ALLOWED_PRIVATE.has(name)) {
      problems.push(`label ${name}: the /ingest API drops labels starting with "__"; use --protocol push or rename it`);
      continue;
    }
    if (!TAG_KEY.test(name)) {
      const bad = firstBad(name, KEY_CHAR) ?? '';
      problems.push(`label name ${JSON.stringify(name)} has ${JSON.stringify(bad)}: the /ingest API allows only A-Z a-z 0-9 _ . in label names; use --protocol push or rename it`);
    }
    const problem = tagValueProblem(value);
    if (problem) problems.push(`label ${name}: value ${JSON.stringify(value)} ${problem}; use --protocol push or change the value`);
  }
  const spy = labels[SPY_LABEL];
  if (spy !== undefined && !spy.isWellFormed()) problems.push(`label ${SPY_LABEL}: value is not valid UTF-8`);
  return problems;
}

/** labelset.Parse ends a value at `,` or `}` and trims white space; `=` and `{` inside a value are kept. */
function tagValueProblem(value: string): string | undefined {
  if (!value.isWellFormed()) return 'is not valid UTF-8';
  const cut = /[,}]/.exec(value);
  if (cut) return `has ${JSON.stringify(cut[0])}, which ends a value in the /ingest name parameter`;
  if (GO_SPACE.test(value.at(0) ?? '') || GO_SPACE.test(value.at(-1) ?? '')) return 'starts or ends with white space, which the /ingest API trims';
  return undefined;
}

/** A parsed `name` parameter, or why the server answers 400 (`name: <error>`), as labelset.Parse does. */
export function parseIngestName(name: string): { labels: Map<string, string> } | { error: string } {
  const labels = new Map<string, string>();
  let state: 'name' | 'key' | 'value' | 'done' = 'name';
  let key = '';
  let value = '';
  for (const ch of name + '{') {
    if (state === 'name') {
      if (ch !== '{') {
        value += ch;
        continue;
      }
      const app = goTrim(value);
      const err = serviceNameError(app);
      if (err) return { error: `name: ${err}` };
      labels.set(NAME_LABEL, app);
      state = 'key';
    } else if (state === 'key') {
      if (ch === '}') state = 'done';
      else if (ch === '=') {
        state = 'value';
        value = '';
      } else key += ch;
    } else if (state === 'value') {
      if (ch !== ',' && ch !== '}') {
        value += ch;
        continue;
      }
      state = 'key';
      const k = goTrim(key);
      if (k !== NAME_LABEL) {
        const err = labelNameError(k);
        if (err) return { error: `name: ${err}` };
      }
      labels.set(k, goTrim(value));
      key = '';
    }
  }
  return { labels };
}

function goTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && GO_SPACE.test(s[start] as string)) start++;
  while (end > start && GO_SPACE.test(s[end - 1] as string)) end--;
  return s.slice(start, end);
}

function firstBad(s: string, ok: RegExp): string | undefined {
  for (const ch of s) if (!ok.test(ch)) return ch;
  return undefined;
}

/** labelset.ValidateServiceName's errors, worded as Go prints them. */
function serviceNameError(app: string): string | undefined {
  if (app === '') return 'service name is required';
  const bad = firstBad(app, APP_CHAR);
  return bad === undefined ? undefined : `invalid service name: ${app}: character is not allowed: ${goQuote(bad)}`;
}

/** labelset.ValidateLabelName's errors. */
function labelNameError(k: string): string | undefined {
  if (k === '') return 'label name is required';
  const bad = firstBad(k, KEY_CHAR);
  return bad === undefined ? undefined : `invalid label name: ${k}: character is not allowed: ${goQuote(bad)}`;
}

/** Go's %q of a rune, for the characters that matter here. */
function goQuote(ch: string): string {
  if (ch === "'") return "'\\''";
  const json = JSON.stringify(ch).slice(1, -1);
  return `'${json.replace(/\\"/g, '"')}'`;
}

// ---------------------------------------------------------------------------------------------------
// pprof: which `__name__` the server stores.

/** The server's default sample type configuration's display names (pkg/og/storage/tree/pprof.go). */
const DEFAULT_DISPLAY_NAMES: Readonly<Record<string, string>> = { samples: 'cpu', goroutine: 'goroutines', contentions: 'mutex_count', delay: 'mutex_duration' };

/**
 * `__name__` as the server gives a pprof profile sent to /ingest (pkg/og/convert/pprof RawProfile.metricName):
 * `wall` if a sample type is `wall`; otherwise the first sample type whose name (or display name, from
 * `sample_type_config` or the server's defaults) contains cpu, alloc_/inuse_/space/objects, mutex_, block_
 * or goroutines; otherwise the last sample type's (display) name.
 */
export function ingestProfileName(sampleTypes: readonly string[], displayNames?: Readonly<Record<string, string>>): string {
  if (sampleTypes.includes('wall')) return 'wall';
  const names = displayNames ?? DEFAULT_DISPLAY_NAMES;
  let st = '';
  for (const type of sampleTypes) {
    st = Object.hasOwn(names, type) && names[type] ? (names[type] as string) : type;
    if (st.includes('cpu')) return 'process_cpu';
    if (st.includes('alloc_') || st.includes('inuse_') || st === 'space' || st === 'objects') return 'memory';
    if (st.includes('mutex_')) return 'mutex';
    if (st.includes('block_')) return 'block';
    if (st.includes('goroutines')) return 'goroutines';
  }
  return st;
}

/** How a pprof profile goes to /ingest so that the server stores `__name__` as the Push API would. */
export type PprofShape = { kind: 'raw' } | { kind: 'multipart'; sampleTypeConfig: Record<string, { 'display-name': string }> };

/**
 * The raw body (`format=pprof`) when the server's own naming gives `__name__`; otherwise the multipart form
 * with a `sample_type_config` that names every sample type `__name__` (what pyroscope-go sends), when that
 * gives it; otherwise undefined (the profile cannot keep its `__name__` over /ingest).
 */
export function pprofShape(sampleTypes: readonly string[], name: string | undefined): PprofShape | undefined {
  if (name === undefined || name === '' || ingestProfileName(sampleTypes) === name) return { kind: 'raw' };
  const sampleTypeConfig = Object.fromEntries(sampleTypes.map((t) => [t, { 'display-name': name }]));
  const names = Object.fromEntries(sampleTypes.map((t) => [t, name]));
  return sampleTypes.length > 0 && ingestProfileName(sampleTypes, names) === name ? { kind: 'multipart', sampleTypeConfig } : undefined;
}

/**
 * Every reason a pprof profile with these labels cannot be sent to /ingest as the Push API would store it,
 * one line each: call it for each profile and each endpoint whose protocol is `ingest`, before sending.
 */
export function ingestProblems(labels: Labels, facts: Pick<ProfileFacts, 'shape'>): string[] {
  const problems = ingestLabelProblems(labels);
  const name = labels[NAME_LABEL];
  if (!pprofShape(facts.shape.sampleTypes, name))
    problems.push(
      `label __name__="${name}": over /ingest the server names this profile "${ingestProfileName(facts.shape.sampleTypes)}" from its sample types (${facts.shape.sampleTypes.join(', ')}), whatever is sent; use --protocol push`,
    );
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// The request.

/** `from`/`until` in Unix seconds. The server sets a profile's time to `from` when it is 0 or in 1970 (fixTime). */
export function ingestTimes(facts: Pick<ProfileFacts, 'timeNanos' | 'durationNanos'>, nowMs: number): { from: bigint; until: bigint } {
  const start = facts.timeNanos >= YEAR_1971_NS ? facts.timeNanos : BigInt(nowMs) * 1_000_000n;
  const duration = facts.durationNanos > 0n ? facts.durationNanos : 0n;
  return { from: start / 1_000_000_000n, until: (start + duration) / 1_000_000_000n };
}

const YEAR_1971_NS = 31_536_000n * 1_000_000_000n;

/** The query string, parameters in the order given, values percent-encoded (`+` and `;` included). */
export function ingestQuery(params: Array<[string, string]>): string {
  return params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

export interface FormPart {
  name: string;
  filename: string;
  /** Left out when undefined (OkHttp's part of a body without a media type). */
  contentType?: string;
  data: Uint8Array;
}

/**
 * A multipart/form-data body as Go's multipart.Writer (CreateFormFile) and OkHttp's MultipartBody write it:
 * CRLF lines, one Content-Disposition with a filename per part. The boundary is checked not to occur in
 * the data.
 */
export function multipartBody(parts: FormPart[], seed: string): { body: Uint8Array; contentType: string } {
  let boundary = `pyro-push-${seed.replace(/[^A-Za-z0-9-]/g, '')}`;
  const inData = (b: string) => parts.some((p) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength).includes(b));
  for (let n = 1; inData(boundary); n++) boundary = `pyro-push-${seed.replace(/[^A-Za-z0-9-]/g, '')}-${n}`;
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    const head = [`--${boundary}`, `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"`];
    if (part.contentType !== undefined) head.push(`Content-Type: ${part.contentType}`);
    chunks.push(Buffer.from(`${head.join('\r\n')}\r\n\r\n`), part.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A pprof profile's request: `format=pprof` and the bytes as the body, or pyroscope-go's multipart form. */
export function prepareIngest({ labels, bytes, id, facts, nowMs }: ProfileToSend): PreparedRequest {
  // Checked before sending (protocolProblems); never send a `name` the server would read differently.
  const problems = ingestProblems(labels, facts);
  if (problems.length > 0) throw new Error(`not sent over /ingest: ${problems.join('; ')}`);
  const { spyName } = ingestLabels(labels);
  const { from, until } = ingestTimes(facts, nowMs);
  const shape = pprofShape(facts.shape.sampleTypes, labels[NAME_LABEL]) ?? { kind: 'raw' };
  const query: Array<[string, string]> = [
    ['name', ingestName(labels)],
    ['from', String(from)],
    ['until', String(until)],
  ];
  if (shape.kind === 'raw') {
    // The handler tells the format by `format` before the content type; the server gunzips a gzipped body itself.
    query.push(['format', 'pprof'], ['spyName', spyName]);
    return { path: `${INGEST_PATH}?${ingestQuery(query)}`, headers: { 'content-type': 'application/octet-stream' }, body: bytes };
  }
  // No `format`: the handler reads a multipart/form-data body as pprof (with `format=pprof` it would not).
  query.push(['spyName', spyName]);
  const form = multipartBody(
    [
      { name: 'profile', filename: 'profile.pprof', contentType: 'application/octet-stream', data: bytes },
      { name: 'sample_type_config', filename: 'sample_type_config.json', contentType: 'application/json', data: Buffer.from(JSON.stringify(shape.sampleTypeConfig)) },
    ],
    id,
  );
  return { path: `${INGEST_PATH}?${ingestQuery(query)}`, headers: { 'content-type': form.contentType }, body: form.body };
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * The legacy API's answers (ingest_handler.go): 200 with no body is stored; errors are JSON
 * `{"code","message"}` whose code is the server's own mapping of the status (422 → "unknown"), so a code is
 * kept only where it agrees with the status, and the status decides retries (400/413/422 never, 429 by the
 * retry rules, 5xx yes).
 */
export function readIngestAnswer(status: number, contentType: string | undefined, body: string): { ok: true } | { ok: false; code?: string; detail: string } {
  const type = mediaType(contentType);
  if (status >= 200 && status < 300) {
    // Grafana's UI answers 200 text/html for any path it does not know: nothing was stored.
    if (type === 'text/html') return { ok: false, detail: 'not an /ingest answer (content type text/html; Pyroscope answers 200 with no body), nothing was stored: is --url the Pyroscope server, not Grafana?' };
    return { ok: true };
  }
  const err = parseConnectError(contentType, body);
  if (!err) return { ok: false, detail: body };
  return CONNECT_CODES[err.code].status === status ? { ok: false, code: err.code, detail: err.message } : { ok: false, detail: err.message };
}

/** The legacy HTTP API for pprof profiles (`--protocol ingest`). */
export const INGEST_API: Protocol = {
  name: 'ingest',
  path: INGEST_PATH,
  prepare: (p) => (p.format === 'jfr' ? prepareJfr({ labels: p.labels, bytes: p.bytes, nowMs: p.nowMs, overrideTimestamp: p.overrideTimestamp, id: p.id }) : prepareIngest(p)),
  // The legacy API has no timeout header.
  attemptHeaders: () => ({}),
  readAnswer: readIngestAnswer,
};

// ---------------------------------------------------------------------------------------------------
// JFR, as pyroscope-java's PyroscopeExporter uploads it.

export interface JfrToSend {
  /** The profile's labels: `service_name` and tags go into `name`; `__name__` is the server's, per event. */
  labels: Labels;
  /** The recording, gzipped or not (the server gunzips the `jfr` part). */
  bytes: Uint8Array;
  /** The `labels` part: a serialized LabelsSnapshot (jfr_labels.proto), gzipped or not; sent only when not empty. */
  labelsSnapshot?: Uint8Array;
  /** Used when the recording's own start cannot be read, or with `overrideTimestamp`. */
  nowMs: number;
  /** `from`/`until` = now − the recording's duration … now (the server refuses profiles older than an hour). */
  overrideTimestamp?: boolean;
  /** Hz; sent as `sampleRate` (the server's default is 100), the period of CPU/wall samples. */
  sampleRate?: number;
  /** Makes the multipart boundary (a fresh id per profile and endpoint). */
  id: string;
}

/**
 * A JFR recording's request, as pyroscope-java sends it: `POST /ingest?name=…&from=…&until=…&spyName=…
 * [&sampleRate=…]&format=jfr`, a multipart/form-data body with a file part `jfr` (filename "jfr") and,
 * when there are dynamic labels, a file part `labels` (filename "labels", application/x-protobuf).
 * pyroscope-java also sends `units`/`aggregationType`, which the server ignores for JFR (docs: "ignored").
 */
export function prepareJfr({ labels, bytes, labelsSnapshot, nowMs, overrideTimestamp, sampleRate, id }: JfrToSend): PreparedRequest {
  const { spyName } = ingestLabels(labels);
  const recorded = jfrTimeRange(bytes);
  let fromMs: number;
  let untilMs: number;
  if (recorded && !overrideTimestamp) [fromMs, untilMs] = [recorded.startMs, recorded.endMs];
  else [fromMs, untilMs] = [nowMs - (recorded ? recorded.endMs - recorded.startMs : 0), nowMs];
  const query: Array<[string, string]> = [
    ['name', ingestName(labels)],
    ['from', String(Math.floor(fromMs / 1000))],
    ['until', String(Math.floor(untilMs / 1000))],
    ['spyName', spyName],
  ];
  if (sampleRate !== undefined) query.push(['sampleRate', String(Math.round(sampleRate))]);
  query.push(['format', 'jfr']);
  const parts: FormPart[] = [{ name: 'jfr', filename: 'jfr', data: bytes }];
  if (labelsSnapshot && labelsSnapshot.length > 0) parts.push({ name: 'labels', filename: 'labels', contentType: 'application/x-protobuf', data: labelsSnapshot });
  const form = multipartBody(parts, id);
  return { path: `${INGEST_PATH}?${ingestQuery(query)}`, headers: { 'content-type': form.contentType }, body: form.body };
}

const JFR_MAGIC = [0x46, 0x4c, 0x52, 0x00]; // "FLR\0"
const JFR_HEADER_BYTES = 48;

/** Whether bytes (gunzipped first if gzipped) start like a JFR chunk. */
export function isJfr(bytes: Uint8Array): boolean {
  const raw = gunzipPrefix(bytes, 4);
  return raw.length >= 4 && JFR_MAGIC.every((b, i) => raw[i] === b);
}

/**
 * The recording's time span from its chunk headers (big-endian: magic, version, chunk size at 8, start
 * nanos at 32, duration nanos at 40): the first chunk's start to the last chunk's end. Undefined when the
 * bytes are not a readable JFR recording.
 */
export function jfrTimeRange(bytes: Uint8Array): { startMs: number; endMs: number } | undefined {
  let raw: Uint8Array;
  try {
    raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes, { maxOutputLength: 1024 * 1024 * 1024 }) : bytes;
  } catch {
    return undefined;
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let start: bigint | undefined;
  let end = 0n;
  for (let at = 0; at + JFR_HEADER_BYTES <= raw.length; ) {
    if (!JFR_MAGIC.every((b, i) => raw[at + i] === b)) break;
    const size = view.getBigInt64(at + 8);
    const chunkStart = view.getBigInt64(at + 32);
    const duration = view.getBigInt64(at + 40);
    start ??= chunkStart;
    if (chunkStart + duration > end) end = chunkStart + duration;
    if (size < JFR_HEADER_BYTES) break;
    at += Number(size);
  }
  if (start === undefined || start <= 0n) return undefined;
  return { startMs: Number(start / 1_000_000n), endMs: Number((end > start ? end : start) / 1_000_000n) };
}

function gunzipPrefix(bytes: Uint8Array, n: number): Uint8Array {
  if (!(bytes[0] === 0x1f && bytes[1] === 0x8b)) return bytes.subarray(0, n);
  try {
    // A prefix of the stream is enough: Z_SYNC_FLUSH returns what it has instead of failing on the cut.
    return gunzipSync(bytes.subarray(0, 4096), { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, n);
  } catch {
    return new Uint8Array();
  }
}
