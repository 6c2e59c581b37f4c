import { mkdirSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { NAME_LABEL, SERVICE_LABEL, formatLabels } from '../profile/labels.js';
import { ProfileError, decodeProfile, isGzip } from '../profile/pprof.js';
import { SERVER_LIMITS } from '../profile/server-limits.js';
import { CONNECT_CODES, type ConnectCode } from '../protocol/connect.js';
import { PUSH_PATH, decodePushRequest } from '../protocol/push-api.js';
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
    for (const series of request.series) {
      const labels: Record<string, string> = {};
      for (const { name, value } of series.labels) {
        if (Object.hasOwn(labels, name)) return connectError(res, 'invalid_argument', `duplicate label name: ${name}`);
        if (value === '') return connectError(res, 'invalid_argument', `invalid labels: label ${name} has an empty value`);
        labels[name] = value;
      }
      if (!labels[NAME_LABEL]) return connectError(res, 'invalid_argument', 'invalid metric name');
      if (Object.keys(labels).length > SERVER_LIMITS.maxLabelNames) return connectError(res, 'invalid_argument', 'profile series has too many label names');
      for (const sample of series.samples) {
        const checked = checkProfile(sample.rawProfile);
        if (typeof checked === 'string') return connectError(res, 'invalid_argument', checked);
        accepted.push({ labels, rawProfile: sample.rawProfile, id: sample.ID, sampleTypes: checked, headers: req.headers, httpVersion: req.httpVersion });
      }
    }
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

/** The profile's sample types, or why the server would refuse it: the sender's own check, answered as the server words it. */
function checkProfile(bytes: Uint8Array): string[] | string {
  let facts;
  try {
    facts = decodeProfile(bytes);
  } catch (err) {
    if (err instanceof ProfileError) return `failed to parse profile: ${err.message}`;
    throw err;
  }
  if (facts.uncompressedSize > SERVER_LIMITS.maxProfileBytes) return `uncompressed profile payload size exceeds limit of ${SERVER_LIMITS.maxProfileBytes} bytes`;
  if (facts.sampleCount > SERVER_LIMITS.maxSamples) return `profile has ${facts.sampleCount} samples; limit is ${SERVER_LIMITS.maxSamples}`;
  return facts.sampleTypeUnits;
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
