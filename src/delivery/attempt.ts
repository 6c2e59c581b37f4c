import type { Dispatcher } from 'undici';
import { whenAborted } from '../abort.js';
import { DEFAULTS } from '../config/defaults.js';
import type { Endpoint } from '../config/resolve.js';
import type { PreparedRequest, Protocol } from '../protocol/protocol.js';
import { SECRET_PLACEHOLDER, Secret } from '../secret.js';
import { type Authorizer, AuthError } from '../transport/authorizer.js';
import { classifyNetworkError } from '../transport/network-errors.js';
import { statusText } from '../transport/status.js';
import { type Answer, send } from '../transport/undici.js';
import { USER_AGENT } from '../version.js';
import type { Outcome } from './outcome.js';
import { parseRetryAfter, stoppedOutcome } from './retry.js';

/** How much of an answer's body a user is shown. */
export const BODY_EXCERPT_BYTES = 2048;

export interface AttemptContext {
  dispatcher: Dispatcher;
  authorizer: Authorizer;
  now: () => number;
  /** The run's signal: when it aborts, the attempt ends at once and says why, not "network error". */
  signal: AbortSignal;
  /** --verbose: request and response detail, secrets as `<secret>`. */
  log?: (line: string) => void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * One attempt, whatever the protocol: the request with the endpoint's headers and credentials, its
 * redirects, one token refresh after a 401 (OAuth2), and the answer turned into an Outcome. It is
 * bounded by `timeoutMs` and by the run's signal together, the token request included.
 */
export async function attemptOnce(endpoint: Endpoint, protocol: Protocol, prepared: PreparedRequest, timeoutMs: number, ctx: AttemptContext): Promise<Outcome> {
  const { signal, dispose } = attemptSignal(ctx.signal, timeoutMs);
  try {
    return await attemptUnder(signal, endpoint, protocol, prepared, timeoutMs, ctx);
  } finally {
    dispose();
  }
}

/**
 * The run's signal and the attempt's own timeout together, let go when the attempt ends. Not
 * `AbortSignal.any([run, AbortSignal.timeout(ms)])`: on Node 20 that costs ~20 µs an attempt and keeps
 * ~2 KiB per attempt alive until its timer fires (the timeout's timer, and a weak reference the run's
 * signal holds), which grew a run's memory with the number of profiles. The reasons are the same: the
 * run's, or a TimeoutError as AbortSignal.timeout gives.
 */
export function attemptSignal(run: AbortSignal, timeoutMs: number): { signal: AbortSignal; dispose(): void } {
  if (run.aborted) {
    const stopped = new AbortController();
    stopped.abort(run.reason);
    return { signal: stopped.signal, dispose: () => undefined };
  }
  const controller = unused.pop() ?? new AbortController();
  const off = whenAborted(run, () => controller.abort(run.reason));
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
  timer.unref();
  return {
    signal: controller.signal,
    dispose: () => {
      off();
      clearTimeout(timer);
      // Every wait under it has ended with the attempt (the request, its body, a token request it
      // awaited), so nothing listens to it any more: the next attempt can have it.
      if (!controller.signal.aborted && unused.length < UNUSED_MAX) unused.push(controller);
    },
  };
}

/**
 * Controllers of attempts that ended without aborting, for the next attempts: making one costs ~9 µs on
 * Node 20 (its signal is an EventTarget), which was a tenth of what a bulk run spent per request of its own.
 */
const unused: AbortController[] = [];
const UNUSED_MAX = 256;

async function attemptUnder(signal: AbortSignal, endpoint: Endpoint, protocol: Protocol, prepared: PreparedRequest, timeoutMs: number, ctx: AttemptContext): Promise<Outcome> {
  let refreshed = false;
  let url = requestUrl(endpoint.url + prepared.path);
  let crossOrigin = false;
  for (let hop = 0; ; hop++) {
    let authorization: string | undefined;
    try {
      authorization = crossOrigin ? undefined : await ctx.authorizer.header(signal);
    } catch (err) {
      if (ctx.signal.aborted) return stoppedOutcome(ctx.signal.reason);
      if (err instanceof AuthError) return { ok: false, kind: 'auth', message: err.message, retryable: err.retryable };
      throw err;
    }
    const { headers, revealed } = headersFor(endpoint, protocol, prepared, timeoutMs, authorization, crossOrigin);
    ctx.log?.(`→ POST ${url} (${prepared.body.length} bytes)${viaProxy(endpoint)} ${formatHeaders(headers)}`);
    let res: Answer;
    const started = ctx.now();
    try {
      // The body can fail too: a server that stalls or resets after its headers.
      res = await send(url, { dispatcher: ctx.dispatcher, method: 'POST', headers: revealed, body: prepared.body, signal, keep: BODY_EXCERPT_BYTES });
    } catch (err) {
      if (ctx.signal.aborted) {
        ctx.log?.(`← ${stoppedOutcome(ctx.signal.reason).message}`);
        return stoppedOutcome(ctx.signal.reason);
      }
      const problem = classifyNetworkError(err, { timeoutMs, https: url.protocol === 'https:', hasClientCert: endpoint.tls.cert !== undefined, hasCa: endpoint.tls.ca !== undefined, ...proxyOf(endpoint) });
      ctx.log?.(`← ${problem.code}: ${problem.message}`);
      return { ok: false, kind: 'network', ...problem };
    }
    const text = excerpt(res);
    ctx.log?.(`← ${res.statusCode} in ${ctx.now() - started}ms${text ? `: ${text.slice(0, 200)}` : ''}`);

    const location = REDIRECTS.has(res.statusCode) ? res.header('location') : undefined;
    if (location) {
      const stop = (detail: string): Outcome => ({ ok: false, kind: 'http', status: res.statusCode, statusText: statusText(res.statusCode), detail });
      const next = URL.canParse(location, url.href) ? new URL(location, url) : undefined;
      if (!next) return stop(`redirect to an invalid Location ${JSON.stringify(oneLine(location))}`);
      if (!endpoint.followRedirects) return stop(`redirect to ${next} not followed (follow_redirects is off)`);
      if (hop + 1 > DEFAULTS.maxRedirects) return stop(`more than ${DEFAULTS.maxRedirects} redirects; last to ${next}`);
      if (url.protocol === 'https:' && next.protocol !== 'https:') return stop(`refused to follow a redirect from https to ${next}`);
      crossOrigin ||= next.origin !== new URL(endpoint.url).origin;
      url = next;
      continue;
    }
    if (res.statusCode === 401 && !refreshed && !crossOrigin && ctx.authorizer.invalidate()) {
      refreshed = true;
      hop--;
      continue;
    }
    const answer = protocol.readAnswer(res.statusCode, res.header('content-type'), text);
    if (answer.ok) return { ok: true, status: res.statusCode };
    const retryAfterMs = parseRetryAfter(res.header('retry-after'), ctx.now());
    return {
      ok: false,
      kind: 'http',
      status: res.statusCode,
      statusText: statusText(res.statusCode),
      ...(answer.code !== undefined && { connectCode: answer.code }),
      // One line per failure: newlines in a body would break the result line apart.
      detail: oneLine(answer.detail),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    };
  }
}

/** Parsed URLs by their text, for the few a run sends to (the Push API's is one per endpoint). */
const urls = new Map<string, URL>();
const URLS_KEPT = 64;

/**
 * The URL to send to, parsed once: a bulk run sends thousands of requests to the same one, and parsing it
 * each time was ~10 µs a request. Never changed once made (a redirect makes a new one).
 */
function requestUrl(text: string): URL {
  let url = urls.get(text);
  if (!url) {
    url = new URL(text);
    // /ingest's carry a query of their own per profile: those are not kept past the bound.
    if (urls.size < URLS_KEPT) urls.set(text, url);
  }
  return url;
}

type HeaderList = Record<string, string | Secret>;

interface MadeHeaders {
  protocolHeaders: Readonly<Record<string, string>>;
  timeoutMs: number;
  authorization: string | undefined;
  headers: HeaderList;
  /** As sent: secrets revealed. undici reads a request's headers and never changes them. */
  revealed: Record<string, string>;
}

/** Per endpoint, the headers its last attempt sent: a bulk run's attempts send the same ones thousands of times. */
const lastHeaders = new WeakMap<Endpoint, MadeHeaders>();

/**
 * An attempt's headers, made again only when something they depend on changed: the protocol's headers
 * for this request (the Push API's are one object for all), the time the attempt may take, the
 * credentials (an OAuth2 token is renewed). A redirect to another origin makes its own.
 */
function headersFor(endpoint: Endpoint, protocol: Protocol, prepared: PreparedRequest, timeoutMs: number, authorization: string | undefined, crossOrigin: boolean): MadeHeaders {
  const last = crossOrigin ? undefined : lastHeaders.get(endpoint);
  if (last && last.protocolHeaders === prepared.headers && last.timeoutMs === timeoutMs && last.authorization === authorization) return last;
  const headers = requestHeaders(endpoint, [prepared.headers, protocol.attemptHeaders(timeoutMs)], authorization, crossOrigin);
  const made = { protocolHeaders: prepared.headers, timeoutMs, authorization, headers, revealed: reveal(headers) };
  if (!crossOrigin) lastHeaders.set(endpoint, made);
  return made;
}

/**
 * Custom headers (tenant included) and credentials go only to the endpoint's own origin: a redirect
 * elsewhere gets the protocol headers alone.
 */
function requestHeaders(endpoint: Endpoint, protocolHeaders: Array<Readonly<Record<string, string>>>, authorization: string | undefined, crossOrigin: boolean): HeaderList {
  const out: HeaderList = {};
  for (const headers of protocolHeaders) Object.assign(out, headers);
  out['user-agent'] = USER_AGENT;
  if (crossOrigin) return out;
  for (const { name, value } of endpoint.headers.values()) out[name.toLowerCase()] = value;
  if (authorization !== undefined) out.authorization = Secret.of(authorization);
  return out;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function excerpt({ bytes, total }: { bytes: Buffer; total: number }): string {
  const text = bytes.toString('utf8');
  return total > bytes.length ? `${text}…` : text;
}

/** The proxy every request of this endpoint goes through, when that is certain (no per-host exceptions). */
function proxyOf(e: Endpoint): { proxy?: string } {
  return e.proxy.mode === 'url' && e.proxy.noProxy.length === 0 ? { proxy: e.proxy.display } : {};
}

function viaProxy(e: Endpoint): string {
  return e.proxy.mode === 'url' ? ` via proxy ${e.proxy.display}` : e.proxy.mode === 'environment' ? ' via proxy from environment' : '';
}

function reveal(headers: HeaderList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in headers) {
    const v = headers[k] as string | Secret;
    out[k] = v instanceof Secret ? v.reveal() : v;
  }
  return out;
}

function formatHeaders(headers: HeaderList): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v instanceof Secret ? SECRET_PLACEHOLDER : v}`)
    .join('; ');
}
