import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { NAME_LABEL, SERVICE_LABEL, formatLabels } from '../profile/labels.js';
import { isGzip } from '../profile/pprof.js';
import { PUSH_PATH, decodePushRequest } from '../protocol/push-api-decode.js';
import { MAX_REQUEST_BYTES, type ReceivedProfile, type ReceiverOptions, type Req, type Res } from './types.js';
import { readRequestBody } from './request-body.js';
import { checkProfile, connectError, reply } from './server-rules.js';

export type { ReceivedProfile, ReceiverOptions, ScriptedReply } from './types.js';
export { MAX_REQUEST_BYTES } from './types.js';
import { INGEST_PATHS, ingest, legacyError } from './ingest-handler.js';

/**
 * A request handler that speaks the Push API like Pyroscope: the same status codes and Connect JSON
 * errors for the checks that matter to a client, and a record of every profile accepted.
 */
export function createPushHandler(opts: ReceiverOptions = {}) {
  const received: ReceivedProfile[] = [];
  let requests = 0;
  const handler = async (req: Req, res: Res) => {
    const count = ++requests;
    const { bytes: body, total } = await readRequestBody(req, MAX_REQUEST_BYTES);
    const scripted = opts.script?.({ headers: req.headers, count });
    if (scripted) return reply(res, scripted.status, scripted.body ?? '', { 'content-type': 'text/plain', ...scripted.headers });
    // Only /ingest reads the query: a push, the request that comes most, is not parsed as a URL (~1 µs).
    const url = req.url === PUSH_PATH ? undefined : new URL(req.url ?? '/', 'http://receiver');
    if (url && INGEST_PATHS.has(url.pathname)) {
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
  let stored = 0;
  const store = (p: ReceivedProfile) => {
    if (opts.outDir) {
      mkdirSync(opts.outDir, { recursive: true });
      const file = join(opts.outDir, outFileName(stored + 1, p));
      writeFileSync(file, p.rawProfile);
      if (p.jfrLabels) writeFileSync(`${file.replace(/\.jfr(\.gz)?$/, '')}.labels.pb${isGzip(p.jfrLabels) ? '.gz' : ''}`, p.jfrLabels);
    }
    stored++;
    if (opts.keepReceived ?? true) received.push(p);
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
