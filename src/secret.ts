import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { fsProblem, usageError } from './errors.js';

/** What every secret prints as. */
export const SECRET_PLACEHOLDER = '<secret>';

/**
 * A value that must never be printed. Every way JavaScript turns an object into text
 * (String(), template literals, JSON.stringify, util.inspect / console.log) yields `<secret>`;
 * only `reveal()` gives the value, and only the code that builds a request header calls it.
 */
export class Secret {
  readonly #read: () => string;
  readonly source: string;

  private constructor(read: () => string, source: string) {
    this.#read = read;
    this.source = source;
  }

  static of(value: string): Secret {
    return new Secret(() => value, 'inline');
  }

  /**
   * Read and trimmed on every reveal, so a rotated token file is picked up (prometheus/common semantics).
   * Read once now as well: a missing or empty file is a usage error before anything is sent.
   */
  static fromFile(path: string, what: string): Secret {
    const read = () => readFileSync(path, 'utf8').trim();
    let first: string;
    try {
      first = read();
    } catch (err) {
      throw usageError(`${what} ${path}: ${fsProblem(err)}`);
    }
    if (first === '') throw usageError(`${what} ${path}: file is empty`);
    return new Secret(read, `file ${path}`);
  }

  reveal(): string {
    return this.#read();
  }

  toString(): string {
    return SECRET_PLACEHOLDER;
  }
  toJSON(): string {
    return SECRET_PLACEHOLDER;
  }
  [inspect.custom](): string {
    return SECRET_PLACEHOLDER;
  }
}


/** A URL as text with any userinfo password replaced, for messages and logs. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    if (u.password) u.password = SECRET_PLACEHOLDER;
    else if (u.username) u.username = SECRET_PLACEHOLDER;
    return u.toString().replace(encodeURIComponent(SECRET_PLACEHOLDER), SECRET_PLACEHOLDER);
  } catch {
    return redactUnparsedUrl(String(url));
  }
}

/**
 * Text that new URL() refuses may still carry credentials: a typo in the port must not print the
 * password. Anything between `//` and the last `@` is taken for userinfo; hiding
 * too much beats printing a password that contains `/` or `@`.
 */
export function redactUnparsedUrl(text: string): string {
  const start = text.indexOf('//');
  const at = text.lastIndexOf('@');
  if (start < 0 || at < start) return text;
  const userinfo = text.slice(start + 2, at);
  const colon = userinfo.indexOf(':');
  return `${text.slice(0, start + 2)}${colon >= 0 ? `${userinfo.slice(0, colon)}:` : ''}${SECRET_PLACEHOLDER}${text.slice(at)}`;
}

