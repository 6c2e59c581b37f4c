import { exclusive, usageError } from '../errors.js';
import type { PushOptions, EndpointYaml, Env } from './options.js';
import { ENV } from './options.js';
import { Secret } from '../secret.js';
import type { OAuth2Config } from './oauth2.js';
import { oauth2FromFlags, oauth2FromYaml } from './oauth2.js';

export type Auth =
  | { kind: 'basic'; username: string; password: Secret }
  | { kind: 'authorization'; type: string; credentials: Secret }
  | { kind: 'oauth2'; oauth2: OAuth2Config };

/**
 * Auth comes whole from the highest layer that sets any (flags, then environment, then the endpoint's
 * YAML), so that a token in the environment never mixes with a username on the command line of
 * another scheme. The one exception is basic auth split across flags and environment
 * (`--username` with PYROSCOPE_PASSWORD), the usual way to keep a password off the command line.
 */
export function resolveAuth(cli: PushOptions, env: Env, yaml: EndpointYaml, where: string): Auth | undefined {
  const flagKinds = [
    (cli.username ?? cli.password ?? cli.passwordFile) !== undefined && '--username/--password',
    (cli.bearerToken ?? cli.bearerTokenFile) !== undefined && '--bearer-token',
    (cli.oauth2ClientId ?? cli.oauth2TokenUrl ?? cli.oauth2ClientSecretFile ?? cli.oauth2Scopes ?? cli.oauth2EndpointParams) !== undefined && '--oauth2-*',
  ].filter((k): k is string => k !== false);
  if (flagKinds.length > 1) throw usageError(`${flagKinds.join(' and ')} are both given; choose one way to authenticate`);
  exclusive(cli.password, cli.passwordFile, '--password', '--password-file');
  exclusive(cli.bearerToken, cli.bearerTokenFile, '--bearer-token', '--bearer-token-file');

  const envUser = env[ENV.username];
  const envPassword = env[ENV.password];
  const envToken = env[ENV.bearerToken];
  if (flagKinds[0] === '--username/--password') {
    const password = cli.passwordFile !== undefined ? Secret.fromFile(cli.passwordFile, '--password-file') : secretOf(cli.password ?? envPassword);
    return basic(cli.username ?? envUser, password, '--username', '--password, --password-file or ' + ENV.password);
  }
  if (flagKinds[0] === '--bearer-token') return bearer(cli.bearerTokenFile !== undefined ? Secret.fromFile(cli.bearerTokenFile, '--bearer-token-file') : Secret.of(cli.bearerToken as string), '--bearer-token');
  if (flagKinds[0] === '--oauth2-*') return { kind: 'oauth2', oauth2: oauth2FromFlags(cli) };

  if ((envUser ?? envPassword) !== undefined && envToken !== undefined)
    throw usageError(`${ENV.username}/${ENV.password} and ${ENV.bearerToken} are both set; unset one`);
  if (envToken !== undefined) return bearer(Secret.of(envToken), ENV.bearerToken);
  if ((envUser ?? envPassword) !== undefined) return basic(envUser, secretOf(envPassword), ENV.username, ENV.password);
  return authFromYaml(yaml, where);
}

function authFromYaml(yaml: EndpointYaml, where: string): Auth | undefined {
  const set = (['basic_auth', 'authorization', 'oauth2', 'bearer_token', 'bearer_token_file'] as const).filter((k) => yaml[k] !== undefined);
  if (set.length > 1) throw usageError(`${where}: ${set.join(' and ')} are both set; at most one of them is allowed`, 'CONFIG');
  if (yaml.basic_auth) {
    const b = yaml.basic_auth;
    exclusive(b.password, b.password_file, `${where}.basic_auth.password`, 'password_file', 'CONFIG');
    const password = b.password_file !== undefined ? Secret.fromFile(b.password_file, `${where}.basic_auth.password_file`) : secretOf(b.password);
    return basic(b.username, password, `${where}.basic_auth.username`, `${where}.basic_auth.password or password_file`);
  }
  if (yaml.bearer_token !== undefined) return bearer(Secret.of(yaml.bearer_token), `${where}.bearer_token`);
  if (yaml.bearer_token_file !== undefined) return bearer(Secret.fromFile(yaml.bearer_token_file, `${where}.bearer_token_file`), `${where}.bearer_token_file`);
  if (yaml.authorization) {
    const a = yaml.authorization;
    exclusive(a.credentials, a.credentials_file, `${where}.authorization.credentials`, 'credentials_file', 'CONFIG');
    const type = a.type ?? 'Bearer';
    if (type.toLowerCase() === 'basic') throw usageError(`${where}.authorization.type: use basic_auth for Basic`, 'CONFIG');
    const credentials = a.credentials_file !== undefined ? Secret.fromFile(a.credentials_file, `${where}.authorization.credentials_file`) : a.credentials !== undefined ? Secret.of(a.credentials) : undefined;
    if (!credentials || credentials.reveal() === '') throw usageError(`${where}.authorization: set credentials or credentials_file (not empty)`, 'CONFIG');
    oneLine(credentials, `${where}.authorization.credentials`);
    return { kind: 'authorization', type, credentials };
  }
  if (yaml.oauth2) return { kind: 'oauth2', oauth2: oauth2FromYaml(yaml.oauth2, `${where}.oauth2`) };
  return undefined;
}

/** The Authorization header value for a static scheme; oauth2 tokens come from the token source. */
export function staticAuthorization(auth: Auth): string | undefined {
  if (auth.kind === 'basic') return `Basic ${Buffer.from(`${auth.username}:${auth.password.reveal()}`).toString('base64')}`;
  if (auth.kind === 'authorization') return `${auth.type} ${auth.credentials.reveal()}`;
  return undefined;
}

function basic(username: string | undefined, password: Secret | undefined, userWhat: string, passwordWhat: string): Auth {
  if (username === undefined || username === '') throw usageError(`basic auth needs a username: set ${userWhat}`);
  // RFC 7617: the user-id ends at the first colon, so "a:b" would be sent as user "a".
  if (username.includes(':')) throw usageError(`${userWhat} "${username}" has a ":", which HTTP Basic auth cannot carry in a user name (RFC 7617)`);
  if (LINE_BREAK.test(username)) throw usageError(`${userWhat} has a line break or NUL; a user name is one line`);
  if (!password || password.reveal() === '') throw usageError(`basic auth for "${username}" needs a password: set ${passwordWhat} (not empty)`);
  oneLine(password, passwordWhat);
  return { kind: 'basic', username, password };
}

/** A header value is one line: a secret with a line break would fail at send time, or smuggle a header. */
const LINE_BREAK = /[\r\n\0]/;

function oneLine(secret: Secret, what: string): void {
  if (LINE_BREAK.test(secret.reveal())) throw usageError(`${what} has a line break or NUL inside; a credential is one line (a file may end with one newline)`);
}

function bearer(credentials: Secret, what: string): Auth {
  if (credentials.reveal() === '') throw usageError(`${what} is empty; give the token or leave it out`);
  oneLine(credentials, what);
  return { kind: 'authorization', type: 'Bearer', credentials };
}

function secretOf(value: string | undefined): Secret | undefined {
  return value === undefined ? undefined : Secret.of(value);
}
