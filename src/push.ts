import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from './clock.js';
import type { OAuth2Config } from './config/oauth2.js';
import type { Env, PushOptions } from './config/options.js';
import { type Endpoint, type RunConfig, resolveConfig } from './config/resolve.js';
import { EndpointHealth } from './delivery/endpoint-health.js';
import { runSignals } from './delivery/run-signals.js';
import { readConfigFile } from './config/read-config.js';
import { type Connection, type DeliverDeps, deliver } from './delivery/fan-out.js';
import type { ProfileResult } from './delivery/result.js';
import { Spool } from './delivery/spool.js';
import { spoolWork } from './delivery/spool-jobs.js';
import { disposeSent } from './sources/after-sent.js';
import { readAndPlan } from './read-and-plan.js';
import { PyroPushError, RunStopped, usageError } from './errors.js';
import type { PlannedProfile } from './profile/plan.js';
import { expandInputs } from './sources/find-inputs.js';
import { type InputProfile, STDIN, STDIN_NAME, type SendInput, type StdinSource, sha256 } from './sources/inputs.js';
import { scrapeAll, scrapeTls } from './sources/scrape.js';
import { type ScrapeTarget, scrapeTargets, targetForUrl } from './sources/scrape-targets.js';
import { authorizerFor } from './transport/authorizer.js';
import { createDispatcher } from './transport/dispatcher.js';
import { TokenSource } from './transport/token-source.js';

export type { PushOptions } from './config/options.js';

export interface PushHooks {
  /** The environment PYROSCOPE_* and proxy variables are read from; none unless given. */
  env?: Env;
  stdin?: StdinSource;
  clock?: Clock;
  /**
   * Stops the run: no new attempt starts, waits and requests in flight end, and what was not delivered
   * is reported as such (never as delivered). The run's --deadline is laid over it.
   */
  signal?: AbortSignal;
  /** This process's id and how to tell whether another still runs: a spool's stale claims are taken back. */
  process?: { pid: number; isAlive(pid: number): boolean };
  /** Called before anything is sent: the run's resolved config and what will be sent. */
  onPlan?: (config: RunConfig, profiles: PlannedProfile<SendInput>[]) => void | Promise<void>;
  onWarning?: (line: string) => void;
  /** What the run is waiting for, for people (fetching a CPU profile takes its seconds). */
  onProgress?: (line: string) => void;
  /** How many inputs the run has, once its paths are expanded and before any is read. */
  onInputs?: (count: number) => void;
  /** How many spooled profiles the run will read and send first (one request each), before any is read. */
  onSpool?: (entries: number) => void;
  onResult?: DeliverDeps['onResult'];
  onRetry?: DeliverDeps['onRetry'];
  log?: (line: string) => void;
}

export interface PushReport {
  config: RunConfig;
  profiles: PlannedProfile<SendInput>[];
  /** Empty for a dry run. */
  results: ProfileResult[];
}

/** Endpoints share a token only when everything that shapes the token request is the same. */
function tokenSourceKey(o: OAuth2Config): string {
  const secret = createHash('sha256').update(o.clientSecret.reveal()).digest('hex');
  const tls = [o.tls.ca, o.tls.cert, o.tls.serverName, o.tls.minVersion, o.tls.insecureSkipVerify];
  const proxy = o.proxy.mode === 'url' ? o.proxy.url.reveal() : o.proxy.mode;
  return JSON.stringify([o.tokenUrl, o.clientId, secret, o.scopes, o.endpointParams, tls, proxy]);
}

const NO_STDIN: StdinSource = {
  isTTY: false,
  read: async () => {
    throw new PyroPushError('USAGE', '- (stdin) is not available here');
  },
};

/**
 * Validates everything, then sends every profile to every endpoint (after what waits in the spool, with
 * --spool-dir). Throws a PyroPushError (exit 2) for any mistake in options or inputs, before anything is
 * sent; a failed push is a result, not a throw, and every profile × endpoint has exactly one.
 */
export async function push(inputs: string[], options: PushOptions = {}, hooks: PushHooks = {}): Promise<PushReport> {
  const clock = hooks.clock ?? systemClock;
  const env = hooks.env ?? {};
  const file = await readConfigFile(options, env);
  file.notes.forEach((n) => hooks.onWarning?.(n));
  const { config, warnings } = resolveConfig(options, file.env, file.yaml);
  warnings.forEach((w) => hooks.onWarning?.(w));
  const run = runSignals(config, clock, hooks.signal);
  const dispatchers: Dispatcher[] = [];
  try {
    // http(s):// inputs and --scrape are fetched from a live service; everything else is a file, a folder or stdin.
    const targets = [...inputs.filter(isUrl).map((u) => targetForUrl(u)), ...(config.scrape.base !== undefined ? scrapeTargets(config.scrape.base, config.scrape.profiles, config.scrape.seconds) : [])];
    const files = inputs.filter((i) => !isUrl(i));
    const named = config.flushOnly || (files.length === 0 && targets.length > 0) ? { names: [], listed: false } : await expandInputs(files, { recursive: config.recursive, allowEmpty: unattended(config) });
    hooks.onInputs?.(named.names.length + targets.length);
    const fetched = targets.length > 0 ? await fetchInputs(targets, config, env, run.signal, hooks) : { read: [], failed: [] };
    const { planned, skipped } = await readAndPlan(named, config, { stdin: hooks.stdin ?? NO_STDIN, ...(hooks.onWarning && { onWarning: hooks.onWarning }) }, run.signal, clock.now(), fetched.read);
    // Built before anything is sent, dry run included: a proxy variable that does not parse is a usage error.
    const connections = connect(config, env, clock, dispatchers);
    await hooks.onPlan?.(config, planned);
    if (config.dryRun) return { config, profiles: planned, results: [] };

    const health = new Map(config.endpoints.map((e) => [e, new EndpointHealth(e.name)]));
    const spool = config.spool && (await Spool.open(config.spool.dir, { ...config.spool, now: clock.now, pid: hooks.process?.pid ?? 0, isAlive: hooks.process?.isAlive ?? (() => true) }));
    const deps: DeliverDeps = {
      clock,
      signal: run.signal,
      inFlight: run.inFlight,
      ...(run.deadline && { deadline: run.deadline }),
      connectionFor: (e) => connections.get(e) as Connection,
      healthFor: (e) => health.get(e) as EndpointHealth,
      ...(spool && { spool }),
      ...(hooks.log && { log: hooks.log }),
      ...(hooks.onResult && { onResult: hooks.onResult }),
      ...(hooks.onRetry && { onRetry: hooks.onRetry }),
    };
    const results: ProfileResult[] = [];
    if (spool) {
      // The oldest first: what earlier runs could not deliver goes before this run's inputs.
      const waiting = await spoolWork(spool, config, hooks.onSpool);
      waiting.elsewhere.forEach((w) => hooks.onWarning?.(w));
      for (const r of waiting.settled) for (const e of r.endpoints) hooks.onResult?.(r.profile, e);
      // A loop, not push(...): a spool can hold more entries than a call takes arguments.
      for (const r of waiting.settled) results.push(r);
      for (const r of await deliver(waiting.jobs, config, deps)) results.push(r);
    }
    // In the plan's order: the files as named (less the skipped ones), then the fetched profiles.
    const delivered = await deliver(planned, config, deps);
    let next = 0;
    for (const name of named.names) {
      const skip = skipped.get(name);
      if (skip) {
        for (const e of skip.endpoints) hooks.onResult?.(skip.profile, e);
        results.push(skip);
      } else if (delivered[next]?.profile === (name === STDIN ? STDIN_NAME : name)) results.push(delivered[next++] as ProfileResult);
    }
    // Fetched profiles after the files, each failed fetch as one result per endpoint.
    while (next < delivered.length) results.push(delivered[next++] as ProfileResult);
    for (const r of fetched.failed) for (const e of r.endpoints) hooks.onResult?.(r.profile, e);
    for (const r of fetched.failed) results.push(r);
    if (config.afterSent) {
      for (const problem of await disposeAll(planned, delivered, config.afterSent)) hooks.onWarning?.(problem);
    }
    return { config, profiles: planned, results };
  } finally {
    run.dispose();
    await Promise.all(dispatchers.map((d) => d.close().catch(() => undefined)));
  }
}


function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

/** A folder emptied by --remove-sent or watched by cron: an empty one is a quiet run, not a mistake. */
function unattended(config: RunConfig): boolean {
  return config.spool !== undefined || config.afterSent !== undefined || config.skipInvalid;
}

/**
 * Profiles from a live service, all fetched at once under the run's signal (--deadline, Ctrl-C): each
 * fetched one is an input like a file (named by its URL, labelled by its endpoint), each failure one
 * result per endpoint, and the others still go out.
 */
async function fetchInputs(targets: ScrapeTarget[], config: RunConfig, env: Env, signal: AbortSignal, hooks: PushHooks): Promise<{ read: InputProfile[]; failed: ProfileResult[] }> {
  const dispatcher = createDispatcher({ tls: scrapeTls(config.scrape), proxy: { mode: 'direct' }, enableHttp2: false }, env);
  const longest = Math.max(...targets.map((t) => t.seconds));
  hooks.onProgress?.(`fetching ${targets.length === 1 ? (targets[0] as ScrapeTarget).display : `${targets.length} profiles`}${longest > 0 ? ` (the CPU profile takes ${longest}s)` : ''}…`);
  try {
    const results = await scrapeAll(targets, { dispatcher, signal }).catch((err: unknown) => {
      throw signal.aborted ? usageError(`${RunStopped.from(signal.reason).message} while profiles were being fetched; nothing was sent`, 'INPUT', err) : err;
    });
    const read: InputProfile[] = [];
    const failed: ProfileResult[] = [];
    for (const r of results) {
      if ('error' in r) {
        failed.push({ profile: r.target.display, labels: {}, bytes: 0, endpoints: config.endpoints.map((e) => ({ endpoint: e.name, state: 'not-sent', ok: false, attempts: 0, error: `not fetched: ${r.error}` })) });
        continue;
      }
      read.push(Object.assign({ name: r.target.display, bytes: r.bytes, sha256: sha256(r.bytes), format: 'pprof' as const, ownLabels: r.target.labels }, r.facts));
    }
    return { read, failed };
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}


/** Inputs delivered to every endpoint (or spooled for the rest) are removed or moved; problems are said. */
async function disposeAll(planned: PlannedProfile<SendInput>[], results: ProfileResult[], how: NonNullable<RunConfig['afterSent']>): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, profile] of planned.entries()) {
    const states = results[i]?.endpoints.map((e) => e.state) ?? [];
    const settled = results[i]?.endpoints.every((e) => e.state === 'delivered' || e.state === 'spooled' || e.keptRejected) ?? false;
    if (!profile.input.path || states.length === 0 || !settled) continue;
    const problem = await disposeSent(profile.input.path, how, profile.input.sha256);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** A dispatcher and an authorizer per endpoint; endpoints with the same OAuth2 client share its tokens. */
function connect(config: RunConfig, env: Env, clock: Clock, dispatchers: Dispatcher[]): Map<Endpoint, Connection> {
  const track = (d: Dispatcher) => (dispatchers.push(d), d);
  const tokenSources = new Map<string, TokenSource>();
  const tokensFor = (oauth2: OAuth2Config) => {
    const key = tokenSourceKey(oauth2);
    let source = tokenSources.get(key);
    if (!source) tokenSources.set(key, (source = new TokenSource(oauth2, track(createDispatcher({ tls: oauth2.tls, proxy: oauth2.proxy, enableHttp2: false }, env)), clock.now)));
    return source;
  };
  return new Map(config.endpoints.map((e) => [e, { dispatcher: track(createDispatcher({ ...e, connections: config.concurrency }, env)), authorizer: authorizerFor(e.auth, ({ oauth2 }) => tokensFor(oauth2)) }]));
}
