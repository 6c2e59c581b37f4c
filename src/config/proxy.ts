import { usageError } from '../errors.js';
import type { CliOptions, ProxyYaml } from './options.js';
import { Secret, redactUrl } from '../secret.js';
import { parseHeaderFlag } from './headers.js';

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

/** Flags, when any proxy flag is given, replace the YAML proxy settings as a whole. */
export function resolveProxy(yaml: ProxyYaml, cli: CliOptions | undefined, where: string): ProxyConfig {
  const fromCli = cli && (cli.proxyUrl ?? cli.proxyBypass ?? cli.proxyFromEnvironment ?? cli.proxyConnectHeader) !== undefined;
  const p: ProxyYaml = fromCli
    ? {
        ...(cli.proxyUrl !== undefined && { proxy_url: cli.proxyUrl }),
        ...(cli.proxyBypass !== undefined && { no_proxy: cli.proxyBypass }),
        ...(cli.proxyFromEnvironment !== undefined && { proxy_from_environment: cli.proxyFromEnvironment }),
        ...(cli.proxyConnectHeader !== undefined && {
          proxy_connect_header: Object.fromEntries(cli.proxyConnectHeader.map((h) => parseHeaderFlag(h, '--proxy-connect-header'))),
        }),
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
  let url: URL;
  try {
    url = new URL(p.proxy_url);
  } catch {
    throw usageError(`${name.url} "${redactUrl(p.proxy_url)}" is not a URL (e.g. http://proxy.corp:3128)`, 'CONFIG');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`${name.url}: ${url.protocol.slice(0, -1)} proxies are not supported; use an http:// or https:// proxy`, 'CONFIG');
  return {
    mode: 'url',
    url: Secret.of(url.toString()),
    display: redactUrl(url),
    noProxy: (p.no_proxy ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    connectHeaders,
  };
}
