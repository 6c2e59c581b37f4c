/**
 * The parts of undici pyro-push uses, loaded file by file. undici's index loads fetch, WebSocket,
 * caches, mocks and more (and wakes Node's own bundled copy), which cost a single push ~50 ms of
 * start-up here; these files are a third of that. undici has no "exports" map, so these paths are
 * reachable, and package-lock.json pins the version they were read from. This file repeats the two
 * things undici's index.js does for them: give every dispatcher the request API (ProxyAgent needs
 * `connect` from it too), and turn a URL into the origin and path that `request` takes.
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);
const api = require('undici/lib/api/index.js') as Record<string, unknown>;
const DispatcherBase = require('undici/lib/dispatcher/dispatcher.js') as typeof Undici.Dispatcher;
Object.assign(DispatcherBase.prototype, api);

export const Dispatcher = DispatcherBase;
export const Agent = require('undici/lib/dispatcher/agent.js') as typeof Undici.Agent;
export const Pool = require('undici/lib/dispatcher/pool.js') as typeof Undici.Pool;
export const buildConnector = require('undici/lib/core/connect.js') as typeof Undici.buildConnector;

/** Only proxies need it: loaded on first use. */
export function envHttpProxyAgent(): typeof Undici.EnvHttpProxyAgent {
  return require('undici/lib/dispatcher/env-http-proxy-agent.js') as typeof Undici.EnvHttpProxyAgent;
}

type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Undici.Dispatcher };

/** undici's `request(url, options)`, always with an explicit dispatcher. */
export function request(url: string | URL, { dispatcher, ...options }: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  const { origin, path } = target(typeof url === 'string' ? new URL(url) : url);
  return dispatcher.request({ ...options, origin, path });
}

const targets = new WeakMap<URL, { origin: string; path: string }>();

/**
 * A URL's origin and path, worked out once per URL object: a bulk run sends thousands of requests to the
 * same one (delivery/attempt.ts keeps it), and parsing it again was ~10 µs a request. A URL is never
 * changed once made here (a redirect makes a new one).
 */
function target(url: URL): { origin: string; path: string } {
  let t = targets.get(url);
  if (!t) targets.set(url, (t = { origin: url.origin, path: `${url.pathname}${url.search}` }));
  return t;
}
