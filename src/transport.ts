import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import type { ProxyConfig } from './proxy-config.js';
import type { TlsConfig } from './tls-config.js';

export interface TransportSettings {
  tls: TlsConfig;
  proxy: ProxyConfig;
  enableHttp2: boolean;
}

/**
 * One dispatcher per endpoint (and one for each OAuth2 token URL): TLS, proxy and HTTP/2 differ per
 * endpoint. Redirects are not followed here: send.ts follows them itself, because undici's interceptor
 * keeps custom headers on a cross-origin hop and allows https → http.
 */
export function createDispatcher(s: TransportSettings): Dispatcher {
  const tls = {
    ...(s.tls.ca !== undefined && { ca: s.tls.ca }),
    ...(s.tls.cert !== undefined && { cert: s.tls.cert }),
    ...(s.tls.key !== undefined && { key: s.tls.key.reveal() }),
    ...(s.tls.serverName !== undefined && { servername: s.tls.serverName }),
    rejectUnauthorized: !s.tls.insecureSkipVerify,
    minVersion: s.tls.minVersion,
  };
  if (s.proxy.mode === 'direct') return new Agent({ allowH2: s.enableHttp2, connect: tls });
  // ProxyAgent ignores `connect`: TLS to the target through the tunnel goes in requestTls, which is
  // also where ALPN h2 has to be asked for. The direct path (NO_PROXY) still uses `connect`.
  const common = {
    allowH2: s.enableHttp2,
    connect: tls,
    requestTls: { ...tls, allowH2: s.enableHttp2 },
    ...(s.tls.ca !== undefined && { proxyTls: { ca: s.tls.ca } }),
  };
  if (s.proxy.mode === 'environment') return new EnvHttpProxyAgent(common);
  const url = s.proxy.url.reveal();
  return new EnvHttpProxyAgent({
    ...common,
    httpProxy: url,
    httpsProxy: url,
    noProxy: s.proxy.noProxy.join(','),
    headers: Object.fromEntries(Object.entries(s.proxy.connectHeaders).map(([k, v]) => [k, v.reveal()])),
  } as ConstructorParameters<typeof EnvHttpProxyAgent>[0]);
}
