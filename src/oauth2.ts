import { type Dispatcher, request } from 'undici';
import { classifyNetworkError } from './errors-net.js';
import type { OAuth2Config } from './oauth2-config.js';
import { AuthError } from './send.js';
import { redactUrl } from './secret.js';
import { USER_AGENT } from './version.js';

/** Refresh this long before the token's stated expiry, so a request never carries a token that dies in flight. */
const EXPIRY_MARGIN_MS = 10_000;
const TOKEN_TIMEOUT_MS = 30_000;

interface Token {
  value: string;
  expiresAt: number;
}

/**
 * Client-credentials tokens for one OAuth2 client, shared by every request of the run: fetched once,
 * cached until shortly before expiry, fetched again after a 401 from the endpoint.
 */
export class TokenSource {
  #token?: Token;
  #pending?: Promise<Token>;

  constructor(
    private readonly config: OAuth2Config,
    private readonly dispatcher: Dispatcher,
    private readonly now: () => number,
  ) {}

  async token(): Promise<string> {
    if (this.#token && this.now() < this.#token.expiresAt - EXPIRY_MARGIN_MS) return this.#token.value;
    this.#pending ??= this.#fetch().finally(() => (this.#pending = undefined));
    this.#token = await this.#pending;
    return this.#token.value;
  }

  invalidate(): boolean {
    this.#token = undefined;
    return true;
  }

  async #fetch(): Promise<Token> {
    const c = this.config;
    const form = new URLSearchParams({ ...c.endpointParams, grant_type: 'client_credentials' });
    if (c.scopes.length > 0) form.set('scope', c.scopes.join(' '));
    // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined for Basic.
    const basic = Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret.reveal())}`).toString('base64');
    const where = `token endpoint ${redactUrl(c.tokenUrl)}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(c.tokenUrl, {
        dispatcher: this.dispatcher,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}`, 'user-agent': USER_AGENT },
        body: form.toString(),
        signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
      });
    } catch (err) {
      const f = classifyNetworkError(err, { timeoutMs: TOKEN_TIMEOUT_MS, https: c.tokenUrl.startsWith('https:'), hasClientCert: c.tls.cert !== undefined });
      throw new AuthError(`${where}: ${f.message}`, f.retryable);
    }
    const text = await res.body.text();
    let json: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      json = JSON.parse(text);
    } catch {
      // handled below: a refusal is described from its status; a 200 without JSON is broken.
    }
    if (res.statusCode !== 200) {
      const error = typeof json.error === 'string' ? ` ${json.error}${typeof json.error_description === 'string' ? ` (${json.error_description})` : ''}` : '';
      throw new AuthError(`${where}: ${res.statusCode}${error}`, res.statusCode >= 500 || res.statusCode === 429);
    }
    if (typeof json.access_token !== 'string' || json.access_token === '')
      throw new AuthError(`${where}: answered 200 without an access_token`, false);
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : Number(json.expires_in ?? NaN);
    return { value: json.access_token, expiresAt: Number.isFinite(expiresIn) ? this.now() + expiresIn * 1000 : Infinity };
  }
}
