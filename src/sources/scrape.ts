/**
 * Profiles from a live service: fetching the targets of `--scrape BASE --profiles … --seconds N` and of an
 * `http(s)://…` input (`scrape-targets.ts` says which), each under its timeout and size guard, as Grafana
 * Alloy's `pyroscope.scrape` does (grafana/alloy internal/component/pyroscope/scrape: `scrape_loop.go`
 * timeout and fetch).
 *
 * Layering: fetching needs the network's error names, so this is the one file of `sources/` that imports
 * from `transport/` (`network-errors.ts`, which imports nothing from `sources/`). The dispatcher is the
 * caller's: see `scrapeTls` for its TLS settings.
 */
import { STATUS_CODES } from 'node:http';
import type * as Undici from 'undici';
import { type TlsConfig, resolveTls } from '../config/tls.js';
import { PyroPushError, RunStopped, usageError } from '../errors.js';
import { MAX_UNCOMPRESSED, type ProfileFacts, ProfileError, decodeProfile } from '../profile/pprof.js';
import { redactUrl } from '../secret.js';
import { USER_AGENT } from '../version.js';
import { classifyNetworkError } from '../transport/network-errors.js';
import type { ScrapeTarget } from './scrape-targets.js';

/**
 * Added to the time the server collects before it answers. Alloy's per-target timeout is its
 * `scrape_timeout` (10 s by default), plus `scrape_interval - 1s` (= the `seconds` it asks for) when the
 * target collects: the same margin here, so a CPU profile of N s has N + 10 s and the others 10 s.
 */
export const SCRAPE_MARGIN_MS = 10_000;

/** The answer's size guard: the same bound as a gunzipped profile (MAX_UNCOMPRESSED, 256 MiB). */
export const MAX_SCRAPE_BYTES = MAX_UNCOMPRESSED;

/** A target that gave no profile: `message` is one line that names it. */
export class ScrapeError extends Error {
  override name = 'ScrapeError';
  constructor(
    /** The target's URL as it may be printed. */
    readonly target: string,
    /** Why, without the URL: `404 Not Found`, `connection refused`, `not a pprof profile (…)`. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${target}: ${reason}`, options);
  }
}

export interface FetchOptions {
  dispatcher: Undici.Dispatcher;
  /** The request's own timeout, connection to last byte; give more than the target's `seconds`. */
  timeoutMs: number;
  /** The run's signal: when it aborts, the fetch ends at once with its reason (a RunStopped). */
  signal: AbortSignal;
  /** Said when the answer's headers came: the server has finished collecting and is sending. */
  onAnswer?: () => void;
  /** The scrape's TLS settings, for the hints in TLS errors. */
  tls?: Pick<TlsConfig, 'ca'>;
}

/** A fetched profile and what decoding it told (the one pprof check, already done). */
export interface FetchedProfile {
  bytes: Uint8Array;
  facts: ProfileFacts;
}

/**
 * GET one profile. Any 2xx answer (as Alloy) whose body is a pprof profile (checked here with
 * `decodeProfile`, so that a target that is not one fails alone and in one line); anything else, a refused
 * connection or the timeout is a `ScrapeError`. The signal's abort is thrown as a `RunStopped`.
 */
export async function fetchProfile(url: string, opts: FetchOptions): Promise<Uint8Array> {
  return (await fetchChecked(url, opts)).bytes;
}

/** `fetchProfile`, also giving the facts of the check so the caller need not decode the profile again. */
export async function fetchChecked(url: string, opts: FetchOptions): Promise<FetchedProfile> {
  if (!URL.canParse(url)) throw new ScrapeError(redactUrl(url), 'not a URL (e.g. http://app:6060/debug/pprof/heap)');
  const u = new URL(url);
  const display = redactUrl(u);
  const fail = (reason: string, cause?: unknown): never => {
    throw new ScrapeError(display, reason, cause === undefined ? undefined : { cause });
  };
  if (opts.signal.aborted) throw RunStopped.from(opts.signal.reason);
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/octet-stream, */*;q=0.1' };
  // undici's request takes an origin and a path: credentials written in the URL would be lost, so they
  // are sent as curl and Go's http client send them.
  if (u.username || u.password) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;

  let status: number;
  let contentType: string;
  let location: string | undefined;
  let body: Buffer;
  try {
    const res = await opts.dispatcher.request({ origin: u.origin, path: `${u.pathname}${u.search}`, method: 'GET', headers, signal });
    status = res.statusCode;
    contentType = first(res.headers['content-type']) ?? '';
    location = first(res.headers.location);
    opts.onAnswer?.();
    const declared = Number(first(res.headers['content-length']) ?? NaN);
    if (declared > MAX_SCRAPE_BYTES) {
      res.body.destroy();
      return fail(`the answer is ${mib(declared)}, over the ${mib(MAX_SCRAPE_BYTES)} a profile may be`);
    }
    body = await readBounded(res.body, status >= 200 && status < 300 ? MAX_SCRAPE_BYTES : 4096, () =>
      fail(`the answer is over the ${mib(MAX_SCRAPE_BYTES)} a profile may be`),
    );
  } catch (err) {
    if (opts.signal.aborted) throw RunStopped.from(opts.signal.reason);
    if (err instanceof ScrapeError) throw err;
    const problem = classifyNetworkError(err, { timeoutMs: opts.timeoutMs, https: u.protocol === 'https:', hasClientCert: false, hasCa: opts.tls?.ca !== undefined });
    return fail(scrapeHints(problem.message), err);
  }

  if (status < 200 || status > 299) return fail(statusLine(status, contentType, body, location));
  if (body.length === 0) return fail(`empty answer (${status} ${STATUS_CODES[status] ?? ''} with no body); expected a pprof profile`.replace(' )', ')'));
  try {
    return { bytes: new Uint8Array(body.buffer, body.byteOffset, body.length), facts: decodeProfile(body) };
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    const text = /^text\/|json|xml|html/i.test(contentType) || looksLikeText(body);
    const media = contentType.split(';')[0]?.trim() || 'text';
    return fail(text ? `${err.message}; the answer is ${media}: ${JSON.stringify(preview(body))}` : err.message, err);
  }
}

/** The body, to `limit` bytes: past it the stream is destroyed (a profile never ends otherwise) and `over` decides. */
async function readBounded(stream: AsyncIterable<unknown> & { destroy(): unknown }, limit: number, over: () => never): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = Buffer.from(chunk as Uint8Array);
    total += b.length;
    if (total > limit) {
      stream.destroy();
      // An error page is cut to its start; a profile over the bound is refused.
      if (limit < MAX_SCRAPE_BYTES) {
        chunks.push(b.subarray(0, b.length - (total - limit)));
        break;
      }
      over();
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/**
 * `404 Not Found`, with what the server said when it is a short text that says more than the status
 * (Go's pprof answers its refusals in text/plain: "Could not enable CPU profiling: cpu profiling already in use").
 */
function statusLine(status: number, contentType: string, body: Buffer, location: string | undefined): string {
  const head = `${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
  if (status >= 300 && status < 400 && location !== undefined) return `${head} (redirect to ${oneLine(location)}, not followed: give that URL)`;
  const said = /^text\/plain|json/i.test(contentType) || (contentType === '' && looksLikeText(body)) ? oneLine(body.toString('utf8')) : '';
  const adds = said !== '' && !said.toLowerCase().includes((STATUS_CODES[status] ?? '\0').toLowerCase());
  if (!adds) return head;
  const busy = /cpu profiling already in use/i.test(said) ? '; another CPU profile is being collected (by Alloy, or another run?): try again after it' : '';
  return `${head} (${said.length > 200 ? `${said.slice(0, 200)}…` : said})${busy}`;
}

/**
 * classifyNetworkError's hints name the push flags; the scrape has its own two TLS options and no client
 * certificate, server name or minimum version to set.
 */
function scrapeHints(message: string): string {
  return message
    .replace('(--ca-file, tls_config)', '(--scrape-ca-file)')
    .replace('(use --ca-file)', '(use --scrape-ca-file, or --scrape-insecure-skip-verify)')
    .replace(' (if the server requires a client certificate, use --cert-file and --key-file)', '')
    .replace(/ \(client certificate required or rejected[^)]*\)$/, '')
    .replace(', or --server-name / tls_config.server_name)', ')')
    .replace(' (lower --tls-min-version / tls_config.min_version?)', '');
}

function looksLikeText(body: Buffer): boolean {
  const start = body.subarray(0, 512);
  return start.length > 0 && !start.includes(0) && /^[\s\x20-\x7e]*$/.test(start.toString('latin1').replace(/[\x80-\xff]/g, ' '));
}

function preview(body: Buffer): string {
  const text = oneLine(body.subarray(0, 80).toString('utf8'));
  return body.length > 80 ? `${text}…` : text;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function mib(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}

export type ScrapePhase = 'requested' | 'answered' | 'done' | 'failed';

export interface ScrapeOptions {
  dispatcher: Undici.Dispatcher;
  /** The run's signal: when it aborts, every fetch ends at once and `scrapeAll` rejects with a RunStopped. */
  signal: AbortSignal;
  /**
   * Each target's progress, for a spinner: `requested` (the server is collecting for `target.seconds`),
   * `answered` (headers came, the body is on its way), then `done` or `failed`.
   */
  onProgress?(target: ScrapeTarget, phase: ScrapePhase): void;
  /** Added to each target's `seconds` for its timeout; SCRAPE_MARGIN_MS (10 s, as Alloy) by default. */
  marginMs?: number;
  tls?: Pick<TlsConfig, 'ca'>;
}

export type ScrapeResult = { target: ScrapeTarget; bytes: Uint8Array; facts: ProfileFacts } | { target: ScrapeTarget; error: string };

/** Each target's timeout: what it collects, plus the margin. */
export function scrapeTimeoutMs(target: ScrapeTarget, marginMs = SCRAPE_MARGIN_MS): number {
  return target.seconds * 1000 + marginMs;
}

/**
 * Every target at once, each under its own timeout (`scrapeTimeoutMs`), results in the targets' order.
 * A target that fails is a result with its one-line `error`; it never stops the others. When the signal
 * aborts, all fetches end and this rejects with the signal's reason as a RunStopped.
 */
export async function scrapeAll(targets: ScrapeTarget[], opts: ScrapeOptions): Promise<ScrapeResult[]> {
  if (opts.signal.aborted) throw RunStopped.from(opts.signal.reason);
  const one = async (target: ScrapeTarget): Promise<ScrapeResult> => {
    opts.onProgress?.(target, 'requested');
    try {
      const { bytes, facts } = await fetchChecked(target.url, {
        dispatcher: opts.dispatcher,
        timeoutMs: scrapeTimeoutMs(target, opts.marginMs),
        signal: opts.signal,
        onAnswer: () => opts.onProgress?.(target, 'answered'),
        ...(opts.tls && { tls: opts.tls }),
      });
      opts.onProgress?.(target, 'done');
      return { target, bytes, facts };
    } catch (err) {
      if (err instanceof RunStopped) throw err;
      opts.onProgress?.(target, 'failed');
      // A bug in one fetch is that target's line, not the end of the others.
      return { target, error: err instanceof ScrapeError ? err.message : `${target.display}: ${(err as Error).message ?? String(err)}` };
    }
  };
  // Settled, not Promise.all: on a stop every fetch is waited for, so none is left running after this returns.
  const settled = await Promise.allSettled(targets.map(one));
  if (opts.signal.aborted) throw RunStopped.from(opts.signal.reason);
  return settled.map((s, i) => (s.status === 'fulfilled' ? s.value : { target: targets[i] as ScrapeTarget, error: `${(targets[i] as ScrapeTarget).display}: ${String(s.reason)}` }));
}

/**
 * The scrape's TLS settings from `--scrape-ca-file` and `--scrape-insecure-skip-verify` (resolveTls does
 * the reading and checking; its messages name --ca-file, so they are renamed). The dispatcher is then
 * `createDispatcher({ tls, proxy: { mode: 'direct' }, enableHttp2: false }, env)`: direct, as Alloy's
 * scrape client is unless told `proxy_url`/`proxy_from_environment`, and HTTP/1.1, as Go's pprof server speaks.
 */
export function scrapeTls(opts: { caFile?: string; insecureSkipVerify?: boolean }): TlsConfig {
  try {
    return resolveTls(undefined, { ...(opts.caFile !== undefined && { caFile: opts.caFile }), ...(opts.insecureSkipVerify !== undefined && { insecureSkipVerify: opts.insecureSkipVerify }) }, 'scrape');
  } catch (err) {
    if (err instanceof PyroPushError && err.message.startsWith('--ca-file ')) throw usageError(`--scrape-ca-file ${err.message.slice('--ca-file '.length)}`, err.code, err);
    throw err;
  }
}
