/**
 * The parts of undici pyro-push uses, loaded file by file. undici's index loads fetch, WebSocket,
 * caches, mocks and more (and wakes Node's own bundled copy), which cost a single push ~50 ms of
 * start-up here; these files are a third of that. undici has no "exports" map, so these paths are
 * reachable, and package-lock.json pins the version they were read from. This file repeats the two
 * things undici's index.js does for them: give every dispatcher the request API (ProxyAgent needs
 * `connect` from it too), and turn a URL into the origin and path that `request` takes. `send` is the
 * request API's lean twin for the one request a bulk run makes thousands of times.
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';
import { whenAborted } from '../abort.js';
import { KeptPrefix } from '../stream.js';

const require = createRequire(import.meta.url);
const api = require('undici/lib/api/index.js') as Record<string, unknown>;
const { headerNameToString } = require('undici/lib/core/util.js') as { headerNameToString(name: Buffer): string };
const DispatcherBase = require('undici/lib/dispatcher/dispatcher.js') as typeof Undici.Dispatcher;
Object.assign(DispatcherBase.prototype, api);

export const Dispatcher = DispatcherBase;
export const Agent = require('undici/lib/dispatcher/agent.js') as typeof Undici.Agent;
export const Pool = require('undici/lib/dispatcher/pool.js') as typeof Undici.Pool;
export const buildConnector = require('undici/lib/core/connect.js') as typeof Undici.buildConnector;

/** Only proxies need it: loaded on first use. */
export function envHttpProxyAgent(): typeof Undici.EnvHttpProxyAgent {
  return require('undici/lib/dispatcher/env-http-proxy-agent.js') as typeof Undici.EnvHttpProxyAgent;
}

type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Undici.Dispatcher };

/** undici's `request(url, options)`, always with an explicit dispatcher. */
export function request(url: string | URL, { dispatcher, ...options }: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  const { origin, path } = target(typeof url === 'string' ? new URL(url) : url);
  return dispatcher.request({ ...options, origin, path });
}

const targets = new WeakMap<URL, { origin: string; path: string }>();

/**
 * A URL's origin and path, worked out once per URL object: a bulk run sends thousands of requests to the
 * same one (delivery/attempt.ts keeps it), and parsing it again was ~10 µs a request. A URL is never
 * changed once made here (a redirect makes a new one).
 */
function target(url: URL): { origin: string; path: string } {
  let t = targets.get(url);
  if (!t) targets.set(url, (t = { origin: url.origin, path: `${url.pathname}${url.search}` }));
  return t;
}

const NO_BYTES = Buffer.alloc(0);

/** An answer as `send` reads it: its status, its headers, and the first `keep` bytes of its body. */
export class Answer {
  bytes: Buffer = NO_BYTES;
  /** The body's whole length, kept or not. */
  total = 0;

  constructor(
    readonly statusCode: number,
    private readonly rawHeaders: Buffer[],
  ) {}

  /**
   * A header's first value (`name` in lower case), read as undici's parseHeaders reads it: the few an
   * attempt asks about are looked up when asked, not every header made an object's property.
   */
  header(name: string): string | undefined {
    for (let i = 0; i < this.rawHeaders.length; i += 2) {
      if (headerNameToString(this.rawHeaders[i] as Buffer) === name) return (this.rawHeaders[i + 1] as Buffer).toString('latin1');
    }
    return undefined;
  }
}

export interface SendOptions {
  dispatcher: Undici.Dispatcher;
  method: Undici.Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Ends the request at once, whenever it comes: the promise rejects with the signal's reason. */
  signal: AbortSignal;
  /** Bytes of the body kept for the caller; the rest is read and let go. */
  keep: number;
}


/**
 * One request and its whole answer, read without a stream: `request` gives each answer a Readable (and
 * each request an AsyncResource), which a bulk run paid for thousands of times to read empty bodies
 * (~19 µs a request here, measured against undici's own sender). The handler is undici's dispatch
 * interface; an abort after the headers ends the body too, as destroying `request`'s body does.
 */
export function send(url: URL, { dispatcher, method, headers, body, signal, keep }: SendOptions): Promise<Answer> {
  const { origin, path } = target(url);
  return new Promise((resolve, reject) => {
    dispatcher.dispatch({ origin, path, method, headers, body }, new AnswerReader(signal, keep, resolve, reject) as Undici.Dispatcher.DispatchHandler);
  });
}

/**
 * undici's dispatch handler for `send`: one object per request, its methods shared (a handler of object
 * literal methods and closures was six more allocations a request).
 */
class AnswerReader {
  #abort: ((reason: unknown) => void) | undefined;
  #answer: Answer | undefined;
  #body: KeptPrefix;
  /** Stops listening to the signal: through the signal's one listener (whenAborted), not one a request. */
  readonly #off: () => void;

  constructor(
    private readonly signal: AbortSignal,
    keep: number,
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.#body = new KeptPrefix(keep);
    this.#off = whenAborted(signal, () => this.#abort?.(signal.reason));
  }

  onConnect(abort: (reason: unknown) => void): void {
    this.#abort = abort;
    if (this.signal.aborted) abort(this.signal.reason);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // A 1xx answer (103 Early Hints) comes first, and the one that counts replaces it.
    this.#answer = new Answer(statusCode, rawHeaders);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#body.add(chunk);
    return true;
  }

  onComplete(): void {
    this.#off();
    // undici completes a request only after its final headers.
    const answer = this.#answer as Answer;
    ({ bytes: answer.bytes, total: answer.total } = this.#body.read());
    this.resolve(answer);
  }

  onError(err: Error): void {
    this.#off();
    this.reject(err);
  }
}
