import { type Auth, staticAuthorization } from '../config/auth.js';
import type { TokenSource } from './token-source.js';

/** Supplies the Authorization header; OAuth2 fetches and caches a token, the others are static. */
export interface Authorizer {
  header(): Promise<string | undefined>;
  /** After a 401: forget a cached token so the next header() fetches a new one. False when nothing can change. */
  invalidate(): boolean;
}

/** Raised by an Authorizer when credentials cannot be had; reported as such, not as the server's answer. */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const NONE: Authorizer = { header: async () => undefined, invalidate: () => false };

/** Static schemes re-read their secret files on every request (rotation); OAuth2 asks its token source. */
export function authorizerFor(auth: Auth | undefined, tokens: (auth: Extract<Auth, { kind: 'oauth2' }>) => TokenSource): Authorizer {
  if (!auth) return NONE;
  if (auth.kind === 'oauth2') {
    const source = tokens(auth);
    return { header: async () => `Bearer ${await source.token()}`, invalidate: () => source.invalidate() };
  }
  return {
    header: async () => {
      try {
        return staticAuthorization(auth);
      } catch (err) {
        const secret = auth.kind === 'basic' ? auth.password : auth.credentials;
        throw new AuthError(`credentials from ${secret.source} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, false);
      }
    },
    invalidate: () => false,
  };
}
