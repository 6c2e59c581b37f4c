import type * as Undici from 'undici';
import { Agent, Dispatcher, Pool, buildConnector, envHttpProxyAgent } from './undici.js';
import type { Env } from '../config/options.js';
import { PROXY_URL_RULES, type ProxyConfig } from '../config/proxy.js';
import { parseHttpUrl } from '../config/url.js';
import type { TlsConfig } from '../config/tls.js';

export interface TransportSettings {
  tls: TlsConfig;
  proxy: ProxyConfig;
  enableHttp2: boolean;
  /**
   * Connections per origin at most: the requests the caller keeps in flight (--concurrency). Without it
   * undici opens a new one whenever all are busy, which happens between one answer and the next request:
   * twice as many connections (and handshakes) as requests in flight.
   */
  connections?: number;
}

/**
 * One dispatcher per endpoint (and one for each OAuth2 token URL): TLS, proxy and HTTP/2 differ per
 * endpoint. Redirects are not followed here: send.ts follows them itself, because undici's interceptor
 * keeps custom headers on a cross-origin hop and allows https → http.
 */
export function createDispatcher(s: TransportSettings, env: Env): Undici.Dispatcher {
  const tls = {
    ...(s.tls.ca !== undefined && { ca: s.tls.ca }),
    ...(s.tls.cert !== undefined && { cert: s.tls.cert }),
    ...(s.tls.key !== undefined && { key: s.tls.key.reveal() }),
    ...(s.tls.serverName !== undefined && { servername: s.tls.serverName }),
    rejectUnauthorized: !s.tls.insecureSkipVerify,
    minVersion: s.tls.minVersion,
  };
  // A function, not options, so that every socket, direct or tunnelled, goes through keepTlsAlerts.
  const connect = buildConnector({ ...tls, allowH2: s.enableHttp2 });
  const limit = s.connections !== undefined ? { connections: s.connections } : {};
  const direct = () => new Agent({ allowH2: s.enableHttp2, connect, factory, ...limit });
  if (s.proxy.mode === 'direct') return direct();

  const connectHeaders = Object.fromEntries(Object.entries(s.proxy.connectHeaders).map(([k, v]) => [k, v.reveal()]));
  // ProxyAgent ignores `connect`: TLS to the target through the tunnel goes in requestTls, which is
  // also where ALPN h2 has to be asked for. The direct path (no_proxy) still uses `connect`.
  // The proxy itself is verified as the target is (one CA bundle, one insecure switch), as in Go.
  const EnvHttpProxyAgent = envHttpProxyAgent();
  const through = (proxyUrl: string, noProxy: string) =>
    new EnvHttpProxyAgent({
      allowH2: s.enableHttp2,
      connect,
      factory,
      ...limit,
      requestTls: { ...tls, allowH2: s.enableHttp2 },
      proxyTls: { ...(s.tls.ca !== undefined && { ca: s.tls.ca }), rejectUnauthorized: tls.rejectUnauthorized, minVersion: tls.minVersion },
      httpProxy: proxyUrl,
      httpsProxy: proxyUrl,
      noProxy,
      headers: { ...proxyAuthorization(proxyUrl), ...connectHeaders },
    } as ConstructorParameters<typeof EnvHttpProxyAgent>[0]);
  if (s.proxy.mode === 'url') return through(s.proxy.url.reveal(), s.proxy.noProxy.join(','));

  // Go's ProxyFromEnvironment, which Alloy uses: HTTP_PROXY for http://, HTTPS_PROXY for https:// and
  // nothing else (undici would send https:// through HTTP_PROXY too), upper case before lower case.
  const [httpProxy, httpsProxy] = [proxyFromEnv(env, 'HTTP_PROXY'), proxyFromEnv(env, 'HTTPS_PROXY')];
  const noProxy = env.NO_PROXY ?? env.no_proxy ?? '';
  if (!httpProxy && !httpsProxy) return direct();
  return new ByScheme(httpProxy ? through(httpProxy, noProxy) : direct(), httpsProxy ? through(httpsProxy, noProxy) : direct());
}

/** As Go: `proxy.corp:3128` means http://proxy.corp:3128. Checked here, where the variable is read. */
function proxyFromEnv(env: Env, name: string): string | undefined {
  const [variable, value] = [name, name.toLowerCase()].map((n) => [n, env[n]] as const).find(([, v]) => v) ?? [];
  if (variable === undefined || value === undefined) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  parseHttpUrl(withScheme, `${variable} (--proxy-from-environment)`, PROXY_URL_RULES);
  return withScheme;
}

/** undici sends Basic credentials from the proxy URL only with a password; Go sends `user:` too. */
function proxyAuthorization(proxyUrl: string): Record<string, string> {
  const u = new URL(proxyUrl);
  if (!u.username || u.password) return {};
  return { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:`).toString('base64')}` };
}

/** Every origin's pool, direct or behind the proxy, with its connector wrapped by keepTlsAlerts. */
function factory(origin: string | URL, opts: object): Undici.Dispatcher {
  const o = opts as Undici.Pool.Options;
  return new Pool(origin, typeof o.connect === 'function' ? { ...o, connect: keepTlsAlerts(o.connect) } : o);
}

/**
 * In TLS 1.3 a server that refuses the client certificate says so (alert certificate_required,
 * unknown_ca, …) only after the client has finished its handshake and sent the request. undici's
 * HTTP/1.1 client then sees the socket end and reports "other side closed", losing the alert, and
 * a retry would be pointless. Closing the socket on the alert makes undici report the alert itself.
 */
function keepTlsAlerts(connect: Undici.buildConnector.connector): Undici.buildConnector.connector {
  return (opts, callback) =>
    connect(opts, (...args) => {
      const socket = args[1];
      socket?.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code?.startsWith('ERR_SSL_')) socket.destroy();
      });
      callback(...args);
    });
}

/** http:// requests to one dispatcher, https:// to another. */
class ByScheme extends Dispatcher {
  constructor(
    private readonly http: Undici.Dispatcher,
    private readonly https: Undici.Dispatcher,
  ) {
    super();
  }

  override dispatch(opts: Undici.Dispatcher.DispatchOptions, handler: Undici.Dispatcher.DispatchHandler): boolean {
    return (String(opts.origin).startsWith('https:') ? this.https : this.http).dispatch(opts, handler);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = Promise.all([this.http.close(), this.https.close()]).then(() => undefined);
    if (!callback) return done;
    void done.then(callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    const err = typeof errOrCallback === 'function' ? null : (errOrCallback ?? null);
    const done = Promise.all([this.http.destroy(err), this.https.destroy(err)]).then(() => undefined);
    const cb = typeof errOrCallback === 'function' ? errOrCallback : callback;
    if (!cb) return done;
    void done.then(cb);
  }
}
