import { STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';
import { request } from '../transport/undici.js';
import type { Endpoint } from '../config/resolve.js';
import { DEFAULTS, PUSH_PATH } from '../config/defaults.js';
import { classifyNetworkError } from '../transport/network-errors.js';
import type { Outcome } from './outcome.js';
import { parseRetryAfter } from './retry.js';
import { SECRET_PLACEHOLDER, Secret } from '../secret.js';
import { BODY_EXCERPT_BYTES, CONTENT_TYPE, parseConnectError } from '../protocol/push-api.js';
import { USER_AGENT } from '../version.js';
import { type Authorizer, AuthError } from '../transport/authorizer.js';

export interface SendContext {
  dispatcher: Dispatcher;
  authorizer: Authorizer;
  now: () => number;
  /** --verbose: request and response detail, secrets as `<secret>`. */
  log?: (line: string) => void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** One attempt: the request, its redirects and, with OAuth2, one token refresh after a 401. */
export async function sendOnce(endpoint: Endpoint, body: Uint8Array, timeoutMs: number, ctx: SendContext): Promise<Outcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  let refreshed = false;
  let url = new URL(endpoint.url + PUSH_PATH);
  let crossOrigin = false;
  for (let hop = 0; ; hop++) {
    let authorization: string | undefined;
    try {
      authorization = crossOrigin ? undefined : await ctx.authorizer.header();
    } catch (err) {
      if (err instanceof AuthError) return { ok: false, kind: 'auth', message: err.message, retryable: err.retryable };
      throw err;
    }
    const headers = requestHeaders(endpoint, timeoutMs, authorization, crossOrigin);
    ctx.log?.(`→ POST ${url} (${body.length} bytes)${viaProxy(endpoint)} ${formatHeaders(headers)}`);
    const started = ctx.now();
    let res: Dispatcher.ResponseData;
    let text: string;
    try {
      res = await request(url, {
        dispatcher: ctx.dispatcher,
        method: 'POST',
        headers: reveal(headers),
        body,
        signal,
      });
      // The body can fail too: a server that stalls or resets after its headers.
      text = await readExcerpt(res.body);
    } catch (err) {
      const failure = classifyNetworkError(err, { timeoutMs, https: url.protocol === 'https:', hasClientCert: endpoint.tls.cert !== undefined });
      ctx.log?.(`← ${failure.code}: ${failure.message}`);
      return failure;
    }
    const header = (name: string) => firstHeader(res.headers[name]);
    ctx.log?.(`← ${res.statusCode} in ${ctx.now() - started}ms${text ? `: ${text.slice(0, 200)}` : ''}`);

    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, status: res.statusCode };
    if (REDIRECTS.has(res.statusCode) && header('location')) {
      const stop = (detail: string): Outcome => ({ ok: false, kind: 'http', status: res.statusCode, statusText: statusText(res.statusCode), detail });
      const next = URL.canParse(header('location') as string, url.href) ? new URL(header('location') as string, url) : undefined;
      if (!next) return stop(`redirect to an invalid Location ${JSON.stringify(oneLine(header('location') as string))}`);
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
    const connect = parseConnectError(header('content-type'), text);
    const retryAfterMs = parseRetryAfter(header('retry-after'), ctx.now());
    return {
      ok: false,
      kind: 'http',
      status: res.statusCode,
      statusText: statusText(res.statusCode),
      // One line per failure: newlines in a body would break the result line apart.
      ...(connect ? { connectCode: connect.code, detail: oneLine(connect.message) } : { detail: oneLine(text) }),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    };
  }
}

type HeaderList = Record<string, string | Secret>;

/**
 * Custom headers (tenant included) and credentials go only to the endpoint's own origin: a redirect
 * elsewhere gets the protocol headers alone.
 */
function requestHeaders(endpoint: Endpoint, timeoutMs: number, authorization: string | undefined, crossOrigin: boolean): HeaderList {
  const out: HeaderList = {
    'content-type': CONTENT_TYPE,
    'connect-protocol-version': '1',
    'connect-timeout-ms': String(timeoutMs),
    'user-agent': USER_AGENT,
  };
  if (crossOrigin) return out;
  for (const { name, value } of endpoint.headers.values()) out[name.toLowerCase()] = value;
  if (authorization !== undefined) out.authorization = Secret.of(authorization);
  return out;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function viaProxy(e: Endpoint): string {
  return e.proxy.mode === 'url' ? ` via proxy ${e.proxy.display}` : e.proxy.mode === 'environment' ? ' via proxy from environment' : '';
}

function reveal(headers: HeaderList): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v instanceof Secret ? v.reveal() : v]));
}

function formatHeaders(headers: HeaderList): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v instanceof Secret ? SECRET_PLACEHOLDER : v}`)
    .join('; ');
}

async function readExcerpt(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < BODY_EXCERPT_BYTES) chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const all = Buffer.concat(chunks);
  const text = all.subarray(0, BODY_EXCERPT_BYTES).toString('utf8');
  return size > BODY_EXCERPT_BYTES ? `${text}…` : text;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function statusText(status: number): string {
  return STATUS_CODES[status] ?? '';
}
