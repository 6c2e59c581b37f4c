import type { Dispatcher } from 'undici';
import { readStream } from '../stream.js';
import { request } from './undici.js';
import { classifyNetworkError } from './network-errors.js';
import type { OAuth2Config } from '../config/oauth2.js';
import { AuthError, type Tokens } from './authorizer.js';
import { isTransientStatus } from './status.js';
import { redactUrl } from '../secret.js';
import { USER_AGENT } from '../version.js';

/** Refresh this long before the token's stated expiry, so a request never carries a token that dies in flight. */
const EXPIRY_MARGIN_MS = 10_000;

interface Token {
  value: string;
  expiresAt: number;
}

/**
 * Client-credentials tokens for one OAuth2 client, shared by every request of the run: fetched once,
 * cached until shortly before expiry, fetched again after a 401 from the endpoint.
 */
export class TokenSource implements Tokens {
  #token?: Token;
  #pending?: Promise<Token>;

  constructor(
    private readonly config: OAuth2Config,
    private readonly dispatcher: Dispatcher,
    private readonly now: () => number,
  ) {}

  /**
   * Concurrent callers share one token request, started with the first caller's signal; each caller
   * still stops waiting when its own signal aborts.
   */
  async token(signal: AbortSignal): Promise<string> {
    if (this.#token && this.now() < this.#token.expiresAt - EXPIRY_MARGIN_MS) return this.#token.value;
    const pending = (this.#pending ??= this.#fetch(signal).finally(() => (this.#pending = undefined)));
    try {
      this.#token = await untilAborted(pending, signal);
    } catch (err) {
      // Our own wait ended (the attempt's timeout): the shared request may still answer a later caller.
      if (signal.aborted && !(err instanceof AuthError)) throw new AuthError(`${this.#where}: timed out`, true);
      throw err;
    }
    return this.#token.value;
  }

  invalidate(): boolean {
    this.#token = undefined;
    return true;
  }

  get #where(): string {
    return `could not get an OAuth2 token: token endpoint ${redactUrl(this.config.tokenUrl)}`;
  }

  async #fetch(signal: AbortSignal): Promise<Token> {
    const c = this.config;
    // As golang.org/x/oauth2: endpoint params may replace grant_type (for servers that want another), not scope.
    const form = new URLSearchParams({ grant_type: 'client_credentials', ...(c.scopes.length > 0 && { scope: c.scopes.join(' ') }), ...c.endpointParams });
    // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined for Basic.
    const basic = Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret.reveal())}`).toString('base64');
    // Said first, so that a refusal here is never read as the Pyroscope server's answer.
    const where = this.#where;
    let res: Dispatcher.ResponseData;
    let text: string;
    try {
      res = await request(c.tokenUrl, {
        dispatcher: this.dispatcher,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}`, 'user-agent': USER_AGENT },
        body: form.toString(),
        signal,
      });
      text = (await readStream(res.body, { signal })).bytes.toString('utf8');
    } catch (err) {
      const f = classifyNetworkError(err, { timeoutMs: undefined, https: c.tokenUrl.startsWith('https:'), hasClientCert: c.tls.cert !== undefined });
      throw new AuthError(`${where}: ${f.message}`, f.retryable);
    }
    const json = parseTokenResponse(text, res.headers['content-type']);
    if (res.statusCode < 200 || res.statusCode > 299) {
      const error = typeof json.error === 'string' ? ` ${json.error}${typeof json.error_description === 'string' ? ` (${json.error_description})` : ''}` : '';
      throw new AuthError(`${where} answered ${res.statusCode}${error}`, isTransientStatus(res.statusCode));
    }
    if (typeof json.access_token !== 'string' || json.access_token === '')
      throw new AuthError(`${where} answered ${res.statusCode} without an access_token`, false);
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : Number(json.expires_in ?? NaN);
    // As golang.org/x/oauth2: no expires_in (or 0) means the token does not expire.
    return { value: json.access_token, expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? this.now() + expiresIn * 1000 : Infinity };
  }
}

type TokenResponse = Partial<Record<'access_token' | 'expires_in' | 'error' | 'error_description', unknown>>;

/** JSON as RFC 6749 says, or a form-encoded body as some older servers send (golang.org/x/oauth2 takes both). */
function parseTokenResponse(text: string, contentType: string | string[] | undefined): TokenResponse {
  const type = String(contentType ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('text/plain')) {
    const form = new URLSearchParams(text);
    return Object.fromEntries([...form.entries()]);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    // A body of `null`, a string or an array carries no token: treated as one without fields.
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as TokenResponse) : {};
  } catch {
    return {};
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
