import { usageError } from '../errors.js';
import type { PushOptions, ProxyYaml } from './options.js';
import { Secret, redactUrl } from '../secret.js';
import { parseHttpUrl } from './url.js';

/** Where requests go: straight, through one proxy, or as HTTP_PROXY/HTTPS_PROXY/NO_PROXY say. */
export type ProxyConfig =
  | { mode: 'direct' }
  | { mode: 'environment'; connectHeaders: Record<string, Secret> }
  | {
      mode: 'url';
      /** The whole URL is secret: it may carry proxy credentials. */
      url: Secret;
      display: string;
      noProxy: string[];
      connectHeaders: Record<string, Secret>;
    };

/** A proxy URL may carry its own credentials (they are kept secret). */
export const PROXY_URL_RULES = { example: 'http://proxy.corp:3128', hostOnly: true };

/** Flags, when any proxy flag is given, replace the YAML proxy settings as a whole. */
export function resolveProxy(yaml: ProxyYaml, cli: PushOptions | undefined, where: string): ProxyConfig {
  const fromCli = cli && (cli.proxyUrl ?? cli.proxyBypass ?? cli.proxyFromEnvironment ?? cli.proxyConnectHeaders) !== undefined;
  const p: ProxyYaml = fromCli
    ? {
        ...(cli.proxyUrl !== undefined && { proxy_url: cli.proxyUrl }),
        ...(cli.proxyBypass !== undefined && { no_proxy: cli.proxyBypass }),
        ...(cli.proxyFromEnvironment !== undefined && { proxy_from_environment: cli.proxyFromEnvironment }),
        ...(cli.proxyConnectHeaders !== undefined && { proxy_connect_header: cli.proxyConnectHeaders }),
      }
    : yaml;
  const name = fromCli ? { url: '--proxy-url', noProxy: '--proxy-bypass', env: '--proxy-from-environment' } : { url: `${where}.proxy_url`, noProxy: `${where}.no_proxy`, env: `${where}.proxy_from_environment` };
  if (p.proxy_from_environment && (p.proxy_url ?? p.no_proxy) !== undefined)
    throw usageError(`${name.env} cannot be combined with ${p.proxy_url !== undefined ? name.url : name.noProxy}`, 'CONFIG');
  // Connect headers go to whichever proxy is used, the environment's included (prometheus/common).
  const connectHeaders = Object.fromEntries(Object.entries(p.proxy_connect_header ?? {}).map(([k, v]) => [k, Secret.of(v)]));
  if (p.proxy_from_environment) return { mode: 'environment', connectHeaders };
  if (p.proxy_url === undefined || p.proxy_url === '') {
    if (p.no_proxy !== undefined) throw usageError(`${name.noProxy} needs ${name.url}`, 'CONFIG');
    if (p.proxy_connect_header !== undefined) throw usageError(`proxy connect headers need ${name.url} or ${name.env}`, 'CONFIG');
    return { mode: 'direct' };
  }
  const url = parseHttpUrl(p.proxy_url, name.url, PROXY_URL_RULES);
  return {
    mode: 'url',
    url: Secret.of(url.toString()),
    display: redactUrl(url),
    noProxy: (p.no_proxy ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    connectHeaders,
  };
}
