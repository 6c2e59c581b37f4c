import { type Auth, staticAuthorization } from '../config/auth.js';

/** Supplies the Authorization header; OAuth2 fetches and caches a token, the others are static. */
export interface Authorizer {
  /** `signal` bounds a token request: the attempt's timeout and the run's deadline, never a fixed wait. */
  header(signal: AbortSignal): Promise<string | undefined>;
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

/** Where OAuth2 tokens come from (token-source.ts); an interface here, so that the two files do not import each other. */
export interface Tokens {
  token(signal: AbortSignal): Promise<string>;
  invalidate(): boolean;
}

const NONE: Authorizer = { header: async () => undefined, invalidate: () => false };

/** Static schemes re-read their secret files on every request (rotation); OAuth2 asks its token source. */
export function authorizerFor(auth: Auth | undefined, tokens: (auth: Extract<Auth, { kind: 'oauth2' }>) => Tokens): Authorizer {
  if (!auth) return NONE;
  if (auth.kind === 'oauth2') {
    const source = tokens(auth);
    return { header: async (signal) => `Bearer ${await source.token(signal)}`, invalidate: () => source.invalidate() };
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
