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
import { PUSH_PATH, decodePushRequest } from '../protocol/push-api-decode.js';
import { readStream } from '../sources/stream.js';

/** The largest request body taken (the server's own limit is far lower per profile): 413 above it. */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/** One profile as the receiver got it. */
export interface ReceivedProfile {
  labels: Record<string, string>;
  /** Exactly the bytes of RawSample.raw_profile. */
  rawProfile: Uint8Array;
  id: string;
  sampleTypes: string[];
  headers: IncomingHttpHeaders;
  httpVersion: string;
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
        accepted.push({ labels, rawProfile: sample.rawProfile, id: sample.ID, sampleTypes: verdict.facts.sampleTypeUnits, headers: req.headers, httpVersion: req.httpVersion });
      }
    }
    if (samples === 0) return connectError(res, 'invalid_argument', 'no profiles received');
    for (const p of accepted) {
      // Written before it is recorded: a failed write answers 500, and the client's retry is not counted twice.
      if (opts.outDir) {
        mkdirSync(opts.outDir, { recursive: true });
        writeFileSync(join(opts.outDir, outFileName(received.length + 1, p)), p.rawProfile);
      }
      received.push(p);
      opts.onLine?.(
        `${p.labels[SERVICE_LABEL] ?? '(no service_name)'} ${p.labels[NAME_LABEL]} [${p.sampleTypes.join(', ')}] ${p.rawProfile.length} bytes ${formatLabels(p.labels)}`,
      );
    }
    reply(res, 200, '', { 'content-type': 'application/proto' });
  };
  return { handler, received, requests: () => requests };
}

/** Label values name the file, so anything but [A-Za-z0-9_.-] is replaced: no `/` or `..` can leave --out. */
function outFileName(n: number, p: ReceivedProfile): string {
  const safe = (s: string) => s.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_');
  return `${String(n).padStart(4, '0')}-${safe(p.labels[SERVICE_LABEL] ?? 'unknown')}-${safe(p.labels[NAME_LABEL] ?? '')}.pb${isGzip(p.rawProfile) ? '.gz' : ''}`;
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
