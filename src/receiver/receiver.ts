import { mkdirSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { NAME_LABEL, SERVICE_LABEL, formatLabels } from '../profile/labels.js';
import { rateLimitedSize } from '../profile/plan.js';
import { type ProfileFacts, ProfileError, decodeProfile, isGzip } from '../profile/pprof.js';
import { SERVER_LIMITS } from '../profile/server-limits.js';
import { CONNECT_CODES, type ConnectCode } from '../protocol/connect.js';
import { SPY_LABEL, ingestProfileName, isJfr, parseIngestName } from '../protocol/ingest.js';
import { PUSH_PATH, decodePushRequest } from '../protocol/push-api-decode.js';
import { readStream } from '../sources/stream.js';

/** The largest request body taken (the server's own limit is far lower per profile): 413 above it. */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/** One profile as the receiver got it. */
export interface ReceivedProfile {
  /** Which API it came by: the Connect Push API, or the legacy `/ingest`. */
  protocol: 'push' | 'ingest';
  /**
   * The series labels the server stores: as sent (Push API), or derived as the server derives them from
   * /ingest's `name`, `spyName` and the profile (for JFR without `__name__`/`jfr_event`, which come from
   * each event of the recording).
   */
  labels: Record<string, string>;
  /** Exactly the bytes of RawSample.raw_profile, of /ingest's body or `profile` part, or of the JFR (`jfr` part). */
  rawProfile: Uint8Array;
  /** RawSample.ID; empty for /ingest. */
  id: string;
  /** Of a pprof profile; empty for JFR. */
  sampleTypes: string[];
  headers: IncomingHttpHeaders;
  httpVersion: string;
  /** /ingest: what the profile was. */
  format?: 'pprof' | 'jfr';
  /** /ingest: the query parameters as the server reads them (the first of each name). */
  query?: Record<string, string>;
  /** /ingest: whether the body was a multipart form. */
  multipart?: boolean;
  /** /ingest pprof: the `sample_type_config` part, parsed. */
  sampleTypeConfig?: Record<string, { 'display-name'?: string }>;
  /** /ingest JFR: the `labels` part (a LabelsSnapshot, gzipped or not) exactly as received. */
  jfrLabels?: Uint8Array;
}

/** A reply the receiver sends instead of its own, to play a failing server in tests and demos. */
export interface ScriptedReply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface ReceiverOptions {
  /** Write each accepted profile to this directory. */
  outDir?: string;
  /** One line per accepted profile (the CLI prints them). */
  onLine?: (line: string) => void;
  /** Consulted before each request is handled: return a reply to send it instead. */
  script?: (req: { headers: IncomingHttpHeaders; count: number }) => ScriptedReply | undefined;
}

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/**
 * A request handler that speaks the Push API like Pyroscope: the same status codes and Connect JSON
 * errors for the checks that matter to a client, and a record of every profile accepted.
 */
export function createPushHandler(opts: ReceiverOptions = {}) {
  const received: ReceivedProfile[] = [];
  let requests = 0;
  const handler = async (req: Req, res: Res) => {
    const count = ++requests;
    const { bytes: body, total } = await readStream(req, { keep: MAX_REQUEST_BYTES });
    const scripted = opts.script?.({ headers: req.headers, count });
    if (scripted) return reply(res, scripted.status, scripted.body ?? '', { 'content-type': 'text/plain', ...scripted.headers });
    const url = new URL(req.url ?? '/', 'http://receiver');
    if (INGEST_PATHS.has(url.pathname)) {
      if (req.method !== 'POST') return reply(res, 405, '', {});
      const answer = await ingest(req, body, total, url.searchParams);
      if ('status' in answer) return legacyError(res, answer.status, answer.message);
      if (answer.stored) {
        store(answer.stored);
        opts.onLine?.(lineFor(answer.stored));
      } else opts.onLine?.(answer.nothing);
      return reply(res, 200, '', {});
    }
    if (req.url !== PUSH_PATH) return reply(res, 404, '404 page not found', { 'content-type': 'text/plain' });
    if (req.method !== 'POST') return reply(res, 405, '', {});
    if (req.headers['content-type'] !== 'application/proto') return reply(res, 415, '', {});
    if (total > MAX_REQUEST_BYTES) return reply(res, 413, 'request body too large', { 'content-type': 'text/plain' });
    let request;
    try {
      request = decodePushRequest(body);
    } catch (err) {
      return connectError(res, 'invalid_argument', `unmarshal PushRequest: ${(err as Error).message}`);
    }
    const accepted: ReceivedProfile[] = [];
    let samples = 0;
    for (const series of request.series) {
      const labels: Record<string, string> = {};
      for (const { name, value } of series.labels) labels[name] = value;
      for (const sample of series.samples) {
        samples++;
        const verdict = checkProfile(sample.rawProfile, series.labels, sample.ID);
        if ('refused' in verdict) return connectError(res, verdict.refused.code, verdict.refused.message);
        // The server answers 200 for a profile it stores nothing of; so does the receiver, and keeps nothing.
        if (verdict.facts.storedSampleCount === 0) {
          opts.onLine?.(`${labels[SERVICE_LABEL] ?? '(no service_name)'} ${labels[NAME_LABEL] ?? ''} no samples: stored nothing`);
          continue;
        }
        accepted.push({ protocol: 'push', labels, rawProfile: sample.rawProfile, id: sample.ID, sampleTypes: verdict.facts.sampleTypeUnits, headers: req.headers, httpVersion: req.httpVersion });
      }
    }
    if (samples === 0) return connectError(res, 'invalid_argument', 'no profiles received');
    for (const p of accepted) {
      store(p);
      opts.onLine?.(lineFor(p));
    }
    reply(res, 200, '', { 'content-type': 'application/proto' });
  };
  /** Written before it is recorded: a failed write answers 500, and the client's retry is not counted twice. */
  const store = (p: ReceivedProfile) => {
    if (opts.outDir) {
      mkdirSync(opts.outDir, { recursive: true });
      const file = join(opts.outDir, outFileName(received.length + 1, p));
      writeFileSync(file, p.rawProfile);
      if (p.jfrLabels) writeFileSync(`${file.replace(/\.jfr(\.gz)?$/, '')}.labels.pb${isGzip(p.jfrLabels) ? '.gz' : ''}`, p.jfrLabels);
    }
    received.push(p);
  };
  return { handler, received, requests: () => requests };
}

function lineFor(p: ReceivedProfile): string {
  const what = p.format === 'jfr' ? '(jfr)' : `${p.labels[NAME_LABEL]} [${p.sampleTypes.join(', ')}]`;
  const via = p.protocol === 'ingest' ? ' via /ingest' : '';
  return `${p.labels[SERVICE_LABEL] ?? '(no service_name)'} ${what} ${p.rawProfile.length} bytes${via} ${formatLabels(p.labels)}`;
}

/** Label values name the file, so anything but [A-Za-z0-9_.-] is replaced: no `/` or `..` can leave --out. */
function outFileName(n: number, p: ReceivedProfile): string {
  const safe = (s: string) => s.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_');
  const ext = p.format === 'jfr' ? '.jfr' : '.pb';
  return `${String(n).padStart(4, '0')}-${safe(p.labels[SERVICE_LABEL] ?? 'unknown')}-${safe(p.labels[NAME_LABEL] ?? p.format ?? '')}${ext}${isGzip(p.rawProfile) ? '.gz' : ''}`;
}

/** Where the server serves the legacy API (pkg/api RegisterDistributor). */
const INGEST_PATHS = new Set(['/ingest', '/pyroscope/ingest']);

type IngestAnswer = { status: number; message: string } | { stored: ReceivedProfile } | { stored?: undefined; nothing: string };

/**
 * `/ingest` as grafana/pyroscope's ingest_handler.go answers it: `name` first (400), then the body (413), then
 * the format — `format=jfr` (a multipart form with `jfr` and optional `labels` file parts, or a raw
 * recording), `format=pprof` (the raw profile), or a multipart form (`profile` file part, optional
 * `sample_type_config`) — and then the profile's checks, which /ingest answers 422 (429 for the rate limit).
 * The text formats (folded, lines, trie, tree, speedscope) are not taken: 422.
 */
async function ingest(req: Req, body: Buffer, total: number, q: URLSearchParams): Promise<IngestAnswer> {
  const parsed = parseIngestName(q.get('name') ?? '');
  if ('error' in parsed) return { status: 400, message: parsed.error };
  if (total > MAX_REQUEST_BYTES) return { status: 413, message: 'request body too large: http: request body too large' };
  const query = Object.fromEntries([...new Set(q.keys())].map((k) => [k, q.get(k) as string]));
  const contentType = req.headers['content-type'] ?? '';
  const format = q.get('format') ?? '';
  const spyName = q.get('spyName') || 'unknown';
  const tagged = parsed.labels;
  const app = tagged.get(NAME_LABEL) as string;
  const base = { protocol: 'ingest' as const, id: '', headers: req.headers, httpVersion: req.httpVersion, query };
  const multipart = contentType.includes('multipart/form-data');
  const textFormat = ['trie', 'tree', 'lines', 'speedscope'].find((f) => f === format) ?? (/^binary\/octet-stream\+(trie|tree)$/.exec(contentType)?.[1]);
  if (textFormat !== undefined || (format !== 'jfr' && format !== 'pprof' && !multipart))
    return { status: 422, message: `format ${JSON.stringify(textFormat ?? (format || 'folded'))}: pyro-push receive takes only pprof and jfr` };

  if (format === 'jfr') {
    let jfr: Uint8Array = body;
    let jfrLabels: Uint8Array | undefined;
    if (multipart) {
      const form = await readForm(body, contentType);
      if ('error' in form) return { status: 422, message: `parsing IngestInput-pprof failed ${form.error}` };
      const part = form.files.get('jfr');
      if (!part || part.bytes.length === 0) return { status: 422, message: 'parsing IngestInput-pprof failed jfr field is required' };
      jfr = part.bytes;
      const labelsPart = form.files.get('labels');
      if (labelsPart && labelsPart.bytes.length > 0) jfrLabels = labelsPart.bytes;
    }
    // The server gunzips the form's parts, not a raw body.
    if (!(multipart ? isJfr(jfr) : isJfr(jfr) && !isGzip(jfr))) return { status: 422, message: 'parsing IngestInput-pprof failed not a JFR recording (no "FLR" chunk)' };
    // grafana/jfr-parser pprof/pyroscope Labels: the tags, then pyroscope_spy, __delta__, and the app name as
    // service_name (app_name when a tag is service_name); __name__ and jfr_event come per event.
    const labels: Record<string, string> = {};
    for (const [k, v] of tagged) if (allowedForIngestion(k)) labels[k] = v;
    labels[SPY_LABEL] = spyName;
    labels.__delta__ = 'false';
    labels[Object.hasOwn(labels, SERVICE_LABEL) ? 'app_name' : SERVICE_LABEL] = app;
    return { stored: { ...base, format: 'jfr', multipart, labels, rawProfile: jfr, sampleTypes: [], ...(jfrLabels && { jfrLabels }) } };
  }

  let profile: Uint8Array = body;
  let sampleTypeConfig: Record<string, { 'display-name'?: string }> | undefined;
  if (format !== 'pprof') {
    const form = await readForm(body, contentType);
    const failed = (why: string) => ({ status: 422, message: `parsing IngestInput-pprof failed failed to parse pprof /ingest multipart form ${why}` });
    if ('error' in form) return failed(form.error);
    profile = form.files.get('profile')?.bytes ?? new Uint8Array();
    if ((form.files.get('prev_profile')?.bytes.length ?? 0) > 0) return failed('unsupported client version. Please update github.com/grafana/pyroscope-go to the latest version');
    const config = form.files.get('sample_type_config');
    if (config && config.bytes.length > 0) {
      try {
        sampleTypeConfig = JSON.parse(Buffer.from(config.bytes).toString('utf8')) as Record<string, { 'display-name'?: string }>;
      } catch (err) {
        return failed((err as Error).message);
      }
    }
  }
  if (profile.length === 0) return { nothing: `${app} /ingest with no profile: stored nothing` };
  let sampleTypes: string[] = [];
  try {
    sampleTypes = decodeProfile(profile).shape.sampleTypes;
  } catch {
    // checkProfile answers for it below.
  }
  const displayNames = sampleTypeConfig && Object.fromEntries(Object.entries(sampleTypeConfig).map(([t, c]) => [t, c?.['display-name'] ?? '']));
  // pkg/og/convert/pprof createLabels: __name__ from the sample types, __delta__, pyroscope_spy, service_name
  // (the app name, unless a tag is service_name), then the tags the server allows.
  const pairs: Pair[] = [
    { name: NAME_LABEL, value: ingestProfileName(sampleTypes, displayNames) },
    { name: '__delta__', value: 'false' },
    { name: SPY_LABEL, value: spyName },
  ];
  if (!tagged.has(SERVICE_LABEL)) pairs.push({ name: SERVICE_LABEL, value: app });
  for (const [k, v] of [...tagged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) if (allowedForIngestion(k)) pairs.push({ name: k, value: v });
  const verdict = checkProfile(profile, pairs, '');
  if ('refused' in verdict) {
    const { code, message } = verdict.refused;
    return { status: code === 'resource_exhausted' ? 429 : 422, message: `pushing IngestInput-pprof failed ${code}: ${message}` };
  }
  const labels = Object.fromEntries(pairs.map((p) => [p.name, p.value]));
  if (verdict.facts.storedSampleCount === 0) return { nothing: `${labels[SERVICE_LABEL]} ${labels[NAME_LABEL]} no samples: stored nothing` };
  return {
    stored: { ...base, format: 'pprof', multipart: format !== 'pprof', labels, rawProfile: profile, sampleTypes: verdict.facts.sampleTypeUnits, ...(sampleTypeConfig && { sampleTypeConfig }) },
  };
}

/** pkg/model IsLabelAllowedForIngestion: no `__*` label but `__session_id__`. */
function allowedForIngestion(name: string): boolean {
  return !name.startsWith('__') || name === '__session_id__';
}

type FormFile = { filename: string; contentType: string; bytes: Uint8Array };

/**
 * A multipart/form-data body read with the WHATWG parser Node ships (undici's `Response#formData`). As Go's
 * `ReadForm` does, only parts with a filename are files (the server reads only file parts), first of each name.
 */
async function readForm(body: Buffer, contentType: string): Promise<{ files: Map<string, FormFile> } | { error: string }> {
  if (!/;\s*boundary=/i.test(contentType)) return { error: 'malformed multipart content type header' };
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch (err) {
    return { error: `multipart: ${(err as Error).message}` };
  }
  const files = new Map<string, FormFile>();
  for (const [name, value] of form) {
    if (typeof value === 'string' || files.has(name)) continue;
    files.set(name, { filename: value.name, contentType: value.type, bytes: new Uint8Array(await value.arrayBuffer()) });
  }
  return { files };
}

/** httputil.ErrorWithStatus: JSON `{"code","message"}` (code = the server's HTTPToCode of the status) and a newline. */
function legacyError(res: Res, status: number, message: string): void {
  const code = status === 400 || status === 413 ? 'invalid_argument' : status === 429 ? 'resource_exhausted' : 'unknown';
  reply(res, status, `${JSON.stringify({ code, message })}\n`, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' });
}

type Pair = { name: string; value: string };
type Verdict = { facts: ProfileFacts } | { refused: { code: ConnectCode; message: string } };

/**
 * The server's answer for one profile, in its order (research/validation.md §2–§4): decompressed size,
 * parsing, the rate-limit burst, ValidateProfile (the sender's own decodeProfile), then ValidateLabels per
 * group of samples. Not applied: the ingestion time window (real profiles kept as test data are old) and
 * the built-in relabel rules.
 */
function checkProfile(bytes: Uint8Array, sent: Pair[], id: string): Verdict {
  const refused = (code: ConnectCode, message: string): Verdict => ({ refused: { code, message } });
  const series = withServiceName(sent);
  const shown = labelPairsString(sortByName(series));
  const sizeLimit = (size: number | undefined) =>
    size !== undefined && size > SERVER_LIMITS.maxProfileBytes ? refused('invalid_argument', `uncompressed profile payload size exceeds limit of ${humanizeBytes(SERVER_LIMITS.maxProfileBytes)}`) : undefined;
  const limits = (f: { encodedSize: number; sampleCount: number }, beforeEmpty: boolean, empty?: Verdict): Verdict | undefined => {
    const charged = rateLimitedSize(f, Object.fromEntries(series.map((p) => [p.name, p.value])));
    if (charged > SERVER_LIMITS.rateLimitBurstBytes)
      return refused('resource_exhausted', `push rate limit (${humanizeIBytes(SERVER_LIMITS.rateLimitBytes)}) exceeded while adding ${humanizeIBytes(charged)}`);
    if (beforeEmpty && empty) return empty;
    if (f.encodedSize > SERVER_LIMITS.maxProfileBytes)
      return refused('invalid_argument', `the profile with labels '${shown}' exceeds the size limit (max_profile_size_byte, actual: ${f.encodedSize}, limit: ${SERVER_LIMITS.maxProfileBytes})`);
    if (f.sampleCount > SERVER_LIMITS.maxSamples)
      return refused('invalid_argument', `the profile with labels '${shown}' exceeds the samples count limit (max_profile_stacktrace_samples, actual: ${f.sampleCount}, limit: ${SERVER_LIMITS.maxSamples})`);
    return undefined;
  };
  let facts: ProfileFacts;
  try {
    facts = decodeProfile(bytes);
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    const tooBig = sizeLimit(err.uncompressedSize);
    if (tooBig) return tooBig;
    const answer = err.server ? refused(err.server.code, err.server.message({ labels: shown, id })) : refused('invalid_argument', `uncompressed profile payload size exceeds limit of ${humanizeBytes(SERVER_LIMITS.maxProfileBytes)}`);
    if (err.partial) return limits(err.partial, err.rule === 'empty-profile', answer) ?? answer;
    return answer;
  }
  const first = sizeLimit(facts.uncompressedSize) ?? limits(facts, false);
  if (first) return first;
  if (facts.storedSampleCount === 0) return { facts };
  const examples = facts.sampleLabelExamples.length > 0 ? facts.sampleLabelExamples : [[]];
  for (const example of examples) {
    const problem = validateLabels(series, example);
    if (problem) return refused('invalid_argument', problem);
  }
  return { facts };
}

/** The server adds service_name="unknown_service" when it is missing or empty (pkg/distributor pushSeries). */
function withServiceName(sent: Pair[]): Pair[] {
  if (sent.some((p) => p.name === SERVICE_LABEL && p.value !== '')) return sent;
  return [...sent, { name: SERVICE_LABEL, value: 'unknown_service' }];
}

function sortByName(pairs: Pair[]): Pair[] {
  return [...pairs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Go's `LabelPairsString`: `{a="x", b="y"}`, values quoted. */
function labelPairsString(pairs: Pair[]): string {
  return `{${pairs.map((p) => `${p.name}=${JSON.stringify(p.value)}`).join(', ')}}`;
}

/**
 * pkg/validation ValidateLabels on one group's series: the request labels (an empty value removes every
 * label of that name), plus the group's sample labels the series lacks, with the v2 default rule for names.
 */
function validateLabels(series: Pair[], sampleLabels: Array<[string, string]>): string | undefined {
  const emptied = new Set(series.filter((p) => p.value === '').map((p) => p.name));
  const ls = series.filter((p) => !emptied.has(p.name));
  const names = new Set(ls.map((p) => p.name));
  for (const [name, value] of sampleLabels) if (!names.has(name) && value !== '') ls.push({ name, value });
  const sorted = sortByName(ls);
  const shown = labelPairsString(sorted);
  if (sorted.length > SERVER_LIMITS.maxLabelNames) return `profile series '${shown}' has ${sorted.length} label names; limit ${SERVER_LIMITS.maxLabelNames}`;
  if (!sorted.some((p) => p.name === NAME_LABEL && p.value !== '')) return `invalid labels '${shown}' with error: invalid metric name`;
  if (!sorted.some((p) => p.name === SERVICE_LABEL)) return `invalid labels '${shown}' with error: service name is not provided`;
  let previous: string | undefined;
  for (const { name, value } of sorted) {
    if (Buffer.byteLength(name) > SERVER_LIMITS.maxLabelNameBytes) return `profile with labels '${shown}' has label name too long: '${name}'`;
    if (Buffer.byteLength(value) > SERVER_LIMITS.maxLabelValueBytes) return `profile with labels '${shown}' has label value too long: '${value}'`;
    if (name === '' || !name.isWellFormed()) return `invalid labels '${shown}' with error: invalid label name '${name}'`;
    if (!value.isWellFormed()) return `invalid labels '${shown}' with error: invalid label value '${value}'`;
    if (name === previous) return `profile with labels '${shown}' has duplicate label name: '${name}'`;
    previous = name;
  }
  return undefined;
}

/** go-humanize `Bytes` (SI units), as the server prints its size limit: 4194304 → "4.2 MB". */
export function humanizeBytes(n: number): string {
  return humanize(n, 1000, ['B', 'kB', 'MB', 'GB', 'TB']);
}

/** go-humanize `IBytes` (IEC units), as the server prints its rate limit: 4194304 → "4.0 MiB". */
export function humanizeIBytes(n: number): string {
  return humanize(n, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB']);
}

function humanize(n: number, base: number, units: string[]): string {
  if (n < 10) return `${n} B`;
  const e = Math.min(Math.floor(Math.log(n) / Math.log(base)), units.length - 1);
  const value = Math.floor((n / base ** e) * 10 + 0.5) / 10;
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ${units[e]}`;
}

function connectError(res: Res, code: ConnectCode, message: string): void {
  reply(res, CONNECT_CODES[code].status, JSON.stringify({ code, message }), { 'content-type': 'application/json' });
}

function reply(res: Res, status: number, body: string, headers: Record<string, string>): void {
  (res as ServerResponse).writeHead(status, headers);
  (res as ServerResponse).end(body);
}

export interface Receiver {
  url: string;
  port: number;
  received: ReceivedProfile[];
  requests(): number;
  close(): Promise<void>;
}

/** `pyro-push receive` and the tests: a plain-HTTP receiver on host:port (0 = any free port). */
export async function startReceiver(host: string, port: number, opts: ReceiverOptions = {}): Promise<Receiver> {
  const { handler, received, requests } = createPushHandler(opts);
  // A failure inside (a full disk under --out) answers 500 like a server would, instead of crashing.
  const server = createServer((req, res) => handler(req, res).catch((err: Error) => (res.headersSent ? res.destroy() : connectError(res, 'internal', err.message))));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    port: actual,
    received,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
