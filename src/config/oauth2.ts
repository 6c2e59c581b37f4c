import { exclusive, usageError } from '../errors.js';
import type { PushOptions, OAuth2Yaml } from './options.js';
import { type ProxyConfig, resolveProxy } from './proxy.js';
import { Secret } from '../secret.js';
import { parseHttpUrl } from './url.js';
import { type TlsConfig, resolveTls } from './tls.js';

/** Client-credentials grant settings; the token request has its own TLS and proxy settings. */
export interface OAuth2Config {
  clientId: string;
  clientSecret: Secret;
  tokenUrl: string;
  scopes: string[];
  endpointParams: Record<string, string>;
  tls: TlsConfig;
  proxy: ProxyConfig;
}

export function oauth2FromYaml(y: OAuth2Yaml, where: string): OAuth2Config {
  exclusive(y.client_secret, y.client_secret_file, `${where}.client_secret`, 'client_secret_file', 'CONFIG');
  const secret =
    y.client_secret_file !== undefined ? Secret.fromFile(y.client_secret_file, `${where}.client_secret_file`) : y.client_secret !== undefined ? Secret.of(y.client_secret) : undefined;
  return build(y.client_id, secret, y.token_url, y.scopes ?? [], y.endpoint_params ?? {}, resolveTls(y.tls_config, undefined, `${where}.tls_config`), resolveProxy(y, undefined, where), yamlNames(where));
}

/** From flags, the token request shares the endpoint's TLS and proxy flags (one corporate CA, one proxy). */
export function oauth2FromFlags(cli: PushOptions): OAuth2Config {
  const secret = cli.oauth2ClientSecretFile !== undefined ? Secret.fromFile(cli.oauth2ClientSecretFile, '--oauth2-client-secret-file') : undefined;
  return build(cli.oauth2ClientId, secret, cli.oauth2TokenUrl, cli.oauth2Scopes ?? [], cli.oauth2EndpointParams ?? {}, resolveTls(undefined, cli, 'tls'), resolveProxy({}, cli, 'proxy'), FLAG_NAMES);
}

/** How each setting is called where it came from, for messages. */
interface Names {
  clientId: string;
  secret: string;
  tokenUrl: string;
  scopeParam: string;
  scopes: string;
}
const FLAG_NAMES: Names = {
  clientId: '--oauth2-client-id',
  secret: '--oauth2-client-secret-file',
  tokenUrl: '--oauth2-token-url',
  scopeParam: '--oauth2-endpoint-param scope=…',
  scopes: '--oauth2-scope',
};
const yamlNames = (where: string): Names => ({
  clientId: `${where}.client_id`,
  secret: `${where}.client_secret or client_secret_file`,
  tokenUrl: `${where}.token_url`,
  scopeParam: `${where}.endpoint_params.scope`,
  scopes: `${where}.scopes`,
});

function build(
  clientId: string | undefined,
  clientSecret: Secret | undefined,
  tokenUrl: string | undefined,
  scopes: string[],
  endpointParams: Record<string, string>,
  tls: TlsConfig,
  proxy: ProxyConfig,
  names: Names,
): OAuth2Config {
  if (!clientId) throw usageError(`oauth2 needs a client id: set ${names.clientId}`, 'CONFIG');
  if (!clientSecret) throw usageError(`oauth2 needs a client secret: set ${names.secret}`, 'CONFIG');
  if (!tokenUrl) throw usageError(`oauth2 needs a token URL: set ${names.tokenUrl}`, 'CONFIG');
  // Credentials in the token URL would be printed wherever the URL is (--dry-run, --verbose, errors).
  const url = parseHttpUrl(tokenUrl, names.tokenUrl, { credentialsBelong: `${names.clientId} and ${names.secret}`, example: 'https://auth.example.com/oauth2/token' });
  if (scopes.length > 0 && Object.hasOwn(endpointParams, 'scope'))
    throw usageError(`${names.scopeParam} cannot be combined with ${names.scopes}; use one`, 'CONFIG');
  return { clientId, clientSecret, tokenUrl: url.toString(), scopes, endpointParams, tls, proxy };
}
