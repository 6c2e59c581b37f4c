/**
 * A scripted Push API server on 127.0.0.1 for the fault suite: per request, a behaviour chosen by a
 * script (a list taken in order, or a function of the request number), and a record of every request
 * and of every profile it stored. It records each profile's SHA-256, size and labels, never its bytes,
 * so that a soak of thousands of profiles does not grow the test process's own memory.
 */
import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { decodePushRequest } from '../src/protocol/push-api-decode.js';

export type Behaviour =
  /** Store the profile and answer 200 application/proto, as Pyroscope does (after `delayMs`: a slow server). */
  | { kind: 'ok'; delayMs?: number }
  /** Read the body, store nothing, answer this status (with a Retry-After, a Connect error body…). */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Destroy the connection as soon as the request's headers arrive: the body is never read. */
  | { kind: 'reset-before-body' }
  /**
   * Read the body, send the answer's head and part of its body, then destroy the connection. With
   * `stored`, the profile was stored first (a server that crashed while answering): the client cannot
   * know it, so its retry stores it again — at-least-once, by nature.
   */
  | { kind: 'reset-mid-response'; stored?: boolean }
  /** Read the body and never answer. */
  | { kind: 'hang' }
  /**
   * Answer 200 at once and trickle the answer's body out, `bytes` bytes one every `everyMs`. With
   * `stored` the profile is stored first and the answer ends; without, it never ends (a stalled proxy).
   */
  | { kind: 'trickle'; everyMs: number; bytes: number; stored?: boolean };

export const OK: Behaviour = { kind: 'ok' };
export const status = (code: number, headers?: Record<string, string>, body?: string): Behaviour => ({ kind: 'status', status: code, ...(headers && { headers }), ...(body !== undefined && { body }) });

/** What the server saw of one request. */
export interface SeenRequest {
  n: number;
  behaviour: Behaviour['kind'];
  /** The SHA-256 of the profile it carried (hex), when its body was read. */
  sha256?: string;
  at: number;
}

/** One profile the server stored. */
export interface Stored {
  sha256: string;
  size: number;
  labels: Record<string, string>;
  authorization?: string;
}

export type Script = Behaviour[] | ((n: number) => Behaviour);

export interface FaultServer {
  url: string;
  port: number;
  requests: SeenRequest[];
  stored: Stored[];
  /** The listener closes (connections refused) for `ms`, then reopens on the same port. */
  downFor(ms: number): Promise<void>;
  /** Replaces the script; numbering of requests goes on. */
  setScript(script: Script): void;
  close(): Promise<void>;
}

export async function startFaultServer(script: Script = []): Promise<FaultServer> {
  const requests: SeenRequest[] = [];
  const stored: Stored[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let current = script;
  const pick = (n: number): Behaviour => (typeof current === 'function' ? current(n) : (current[n - 1] ?? OK));

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const n = requests.length + 1;
    const behaviour = pick(n);
    const seen: SeenRequest = { n, behaviour: behaviour.kind, at: Date.now() };
    requests.push(seen);
    if (behaviour.kind === 'reset-before-body') return void req.socket.destroy();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      let profiles: Stored[] = [];
      try {
        const request = decodePushRequest(Buffer.concat(chunks));
        profiles = request.series.flatMap((s) =>
          s.samples.map((sample) => ({
            sha256: createHash('sha256').update(sample.rawProfile).digest('hex'),
            size: sample.rawProfile.length,
            labels: Object.fromEntries(s.labels.map((l) => [l.name, l.value])),
            ...(req.headers.authorization !== undefined && { authorization: req.headers.authorization }),
          })),
        );
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":"invalid_argument","message":"unmarshal PushRequest"}');
        return;
      }
      if (profiles[0]) seen.sha256 = profiles[0].sha256;
      const store = () => stored.push(...profiles);
      switch (behaviour.kind) {
        case 'ok': {
          const answer = () => {
            if (res.destroyed) return;
            store();
            res.writeHead(200, { 'content-type': 'application/proto' }).end();
          };
          if (!behaviour.delayMs) return answer();
          const timer = setTimeout(() => (timers.delete(timer), answer()), behaviour.delayMs);
          return void timers.add(timer);
        }
        case 'status':
          return void res.writeHead(behaviour.status, { 'content-type': 'text/plain', ...behaviour.headers }).end(behaviour.body ?? '');
        case 'reset-mid-response':
          if (behaviour.stored) store();
          res.writeHead(200, { 'content-type': 'application/proto', 'content-length': '64' });
          res.write(Buffer.alloc(8));
          return void setImmediate(() => res.socket?.destroy());
        case 'hang':
          return;
        case 'trickle': {
          if (behaviour.stored) store();
          res.writeHead(200, { 'content-type': 'application/proto', ...(behaviour.stored ? { 'content-length': String(behaviour.bytes) } : {}) });
          let sent = 0;
          const timer = setInterval(() => {
            if (res.destroyed) return void (clearInterval(timer), timers.delete(timer));
            res.write(Buffer.alloc(1));
            if (++sent >= behaviour.bytes && behaviour.stored) {
              clearInterval(timer);
              timers.delete(timer);
              res.end();
            }
          }, behaviour.everyMs);
          timers.add(timer);
          return;
        }
      }
    });
  };

  let server: Server = createServer(handle);
  const sockets = new Set<Socket>();
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.on('connection', (s: Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const shut = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    stored,
    async downFor(ms: number) {
      await shut();
      await new Promise((resolve) => setTimeout(resolve, ms));
      server = createServer(handle);
      await listen(port);
    },
    setScript(next: Script) {
      current = next;
    },
    close: shut,
  };
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
