import { usageError } from '../errors.js';
import { Secret } from '../secret.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** pyro-push sets these itself; letting a user override them would corrupt the request. */
const RESERVED = new Set(['content-type', 'content-length', 'content-encoding', 'host', 'connection', 'transfer-encoding', 'connect-protocol-version']);
/** Header values worth hiding in output, by name. */
const SENSITIVE = /auth|cookie|token|secret|password|key|session|credential/i;

export type HeaderValue = string | Secret;
export type Headers = Map<string, { name: string; value: HeaderValue }>;

/** `Name: value` from `-H`. */
export function parseHeaderFlag(text: string, flag = '--header'): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw usageError(`${flag} "${redactHeaderText(text)}": expected 'Name: value'`);
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
}

/** Adds one header, replacing one of the same name in any case; checks the name. */
export function setHeader(headers: Headers, name: string, value: string, where: string): void {
  if (!TOKEN.test(name)) throw usageError(`${where}: "${name}" is not a valid header name`);
  if (RESERVED.has(name.toLowerCase())) throw usageError(`${where}: ${name} is set by pyro-push and cannot be overridden`);
  if (/[\r\n\0]/.test(value)) throw usageError(`${where}: the value of ${name} has a line break or NUL; a header value is one line`);
  headers.set(name.toLowerCase(), { name, value: SENSITIVE.test(name) ? Secret.of(value) : value });
}

function redactHeaderText(text: string): string {
  return SENSITIVE.test(text) ? '<secret>' : text;
}
