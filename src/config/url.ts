import { usageError } from '../errors.js';
import { redactUrl } from '../secret.js';

export interface UrlRules {
  /** Where credentials in the URL must go instead; absent where the URL may carry them (proxies). */
  credentialsBelong?: string;
  /** A query or fragment is refused where a path is appended to the URL. */
  refuseQuery?: boolean;
  /** Only scheme, host and port (and credentials): a proxy has no path. */
  hostOnly?: boolean;
  /** What to show a user who gave something else. */
  example: string;
}

/**
 * The one check of an http(s) URL a user gave: parsed, scheme, credentials, query. Messages name `what`
 * (the flag, variable or YAML key) and never print a password or a query (it may hold a key).
 */
export function parseHttpUrl(text: string, what: string, rules: UrlRules): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (err) {
    throw usageError(`${what}: "${redactUrl(text)}" is not a URL (e.g. ${rules.example})`, 'CONFIG', err);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`${what}: "${redactUrl(text)}" must start with http:// or https://`, 'CONFIG');
  if (rules.credentialsBelong !== undefined && (url.username || url.password))
    throw usageError(`${what}: put credentials in ${rules.credentialsBelong}, not in the URL`, 'CONFIG');
  // A lone "?" or "#" leaves url.search and url.hash empty, so look at the text.
  if (rules.refuseQuery && /[?#]/.test(text)) throw usageError(`${what}: "${url.origin}${url.pathname}…" has a query or fragment; give the server's base URL`, 'CONFIG');
  if (rules.hostOnly && ((url.pathname !== '/' && url.pathname !== '') || /[?#]/.test(text)))
    throw usageError(`${what}: "${url.origin}${url.pathname}…" has a path or query; a proxy is a scheme, host and port (e.g. ${rules.example})`, 'CONFIG');
  return url;
}
