import { usageError } from './errors.js';
import type { CliOptions, OAuth2Yaml } from './options.js';
import { type ProxyConfig, resolveProxy } from './proxy-config.js';
import { Secret, redactUrl } from './secret.js';
import { type TlsConfig, resolveTls } from './tls-config.js';

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
  if (y.client_secret !== undefined && y.client_secret_file !== undefined)
    throw usageError(`${where}.client_secret and client_secret_file are both set; use one`, 'CONFIG');
  const secret =
    y.client_secret_file !== undefined ? Secret.fromFile(y.client_secret_file, `${where}.client_secret_file`) : y.client_secret !== undefined ? Secret.of(y.client_secret) : undefined;
  return build(y.client_id, secret, y.token_url, y.scopes ?? [], y.endpoint_params ?? {}, resolveTls(y.tls_config, undefined, `${where}.tls_config`), resolveProxy(y, undefined, where), where);
}

/** From flags, the token request shares the endpoint's TLS and proxy flags (one corporate CA, one proxy). */
export function oauth2FromFlags(cli: CliOptions): OAuth2Config {
  const params: Record<string, string> = {};
  for (const p of cli.oauth2EndpointParam ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw usageError(`--oauth2-endpoint-param "${p}": expected key=value`);
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const secret = cli.oauth2ClientSecretFile !== undefined ? Secret.fromFile(cli.oauth2ClientSecretFile, '--oauth2-client-secret-file') : undefined;
  return build(cli.oauth2ClientId, secret, cli.oauth2TokenUrl, cli.oauth2Scope ?? [], params, resolveTls(undefined, cli, 'tls'), resolveProxy({}, cli, 'proxy'), '--oauth2');
}

function build(
  clientId: string | undefined,
  clientSecret: Secret | undefined,
  tokenUrl: string | undefined,
  scopes: string[],
  endpointParams: Record<string, string>,
  tls: TlsConfig,
  proxy: ProxyConfig,
  where: string,
): OAuth2Config {
  const flags = where === '--oauth2';
  if (!clientId) throw usageError(`oauth2 needs a client id: set ${flags ? '--oauth2-client-id' : `${where}.client_id`}`, 'CONFIG');
  if (!clientSecret) throw usageError(`oauth2 needs a client secret: set ${flags ? '--oauth2-client-secret-file' : `${where}.client_secret or client_secret_file`}`, 'CONFIG');
  if (!tokenUrl) throw usageError(`oauth2 needs a token URL: set ${flags ? '--oauth2-token-url' : `${where}.token_url`}`, 'CONFIG');
  let url: URL;
  try {
    url = new URL(tokenUrl);
  } catch {
    throw usageError(`${flags ? '--oauth2-token-url' : `${where}.token_url`} "${redactUrl(tokenUrl)}" is not a URL`, 'CONFIG');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`oauth2 token URL must be http:// or https://`, 'CONFIG');
  if (scopes.length > 0 && Object.hasOwn(endpointParams, 'scope'))
    throw usageError(`${flags ? '--oauth2-endpoint-param scope=…' : `${where}.endpoint_params.scope`} cannot be combined with ${flags ? '--oauth2-scope' : `${where}.scopes`}; use one`, 'CONFIG');
  return { clientId, clientSecret, tokenUrl: url.toString(), scopes, endpointParams, tls, proxy };
}
