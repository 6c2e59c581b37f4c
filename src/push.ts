import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from './clock.js';
import { formatDuration } from './config/duration.js';
import type { OAuth2Config } from './config/oauth2.js';
import type { Env, PushOptions } from './config/options.js';
import { type Endpoint, type RunConfig, resolveConfig } from './config/resolve.js';
import { type Connection, type DeliverDeps, deliver } from './delivery/fan-out.js';
import type { ProfileResult } from './delivery/result.js';
import { ProblemsError, PyroPushError, RunStopped, usageError } from './errors.js';
import { type PlannedProfile, planProfiles } from './profile/plan.js';
import { type InputProfile, type StdinSource, expandInputs, readInput } from './sources/inputs.js';
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
  /** Called before anything is sent: the run's resolved config and what will be sent. */
  onPlan?: (config: RunConfig, profiles: PlannedProfile<InputProfile>[]) => void | Promise<void>;
  onWarning?: (line: string) => void;
  onResult?: DeliverDeps['onResult'];
  onRetry?: DeliverDeps['onRetry'];
  log?: (line: string) => void;
}

export interface PushReport {
  config: RunConfig;
  profiles: PlannedProfile<InputProfile>[];
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
 * Validates everything, then sends every profile to every endpoint. Throws a PyroPushError (exit 2)
 * for any mistake in options or inputs, before anything is sent; a failed push is a result, not a throw.
 */
export async function push(inputs: string[], options: PushOptions = {}, hooks: PushHooks = {}): Promise<PushReport> {
  const clock = hooks.clock ?? systemClock;
  const env = hooks.env ?? {};
  const yaml = options.config !== undefined ? (await import('./config/yaml-file.js')).loadConfigFile(options.config, env) : {};
  const { config, warnings } = resolveConfig(options, env, yaml);
  warnings.forEach((w) => hooks.onWarning?.(w));

  // The deadline covers the whole run from here, reading inputs included (a FIFO that never ends).
  const deadline = config.deadlineMs > 0 ? { at: clock.now() + config.deadlineMs, by: `--deadline ${formatDuration(config.deadlineMs)}` } : undefined;
  const stopAtDeadline = new AbortController();
  const timer = deadline && setTimeout(() => stopAtDeadline.abort(new RunStopped('deadline', deadline.by)), config.deadlineMs);
  const signal = hooks.signal ? AbortSignal.any([hooks.signal, stopAtDeadline.signal]) : stopAtDeadline.signal;
  const dispatchers: Dispatcher[] = [];
  try {
    const names = await expandInputs(inputs);
    const read: InputProfile[] = [];
    const problems: string[] = [];
    for (const name of names) {
      try {
        read.push(await readInput(name, hooks.stdin ?? NO_STDIN, signal));
      } catch (err) {
        if (signal.aborted) throw usageError(`${name === '-' ? '<stdin>' : name}: ${RunStopped.from(signal.reason).message} while it was being read; nothing was sent`, 'INPUT', err);
        if (!(err instanceof PyroPushError)) throw err;
        problems.push(err.message);
      }
    }
    if (problems.length > 0) throw new ProblemsError('INPUT', problems);
    const plan = planProfiles(read, config, clock.now());
    if (plan.problems.length > 0) throw new ProblemsError('LABEL', plan.problems);
    plan.warnings.forEach((w) => hooks.onWarning?.(w));
    // Built before anything is sent, dry run included: a proxy variable that does not parse is a usage error.
    const connections = connect(config, env, clock, dispatchers);
    await hooks.onPlan?.(config, plan.profiles);
    if (config.dryRun) return { config, profiles: plan.profiles, results: [] };
    const results = await deliver(plan.profiles, config, {
      clock,
      signal,
      ...(deadline && { deadline }),
      connectionFor: (e) => connections.get(e) as Connection,
      ...(hooks.log && { log: hooks.log }),
      ...(hooks.onResult && { onResult: hooks.onResult }),
      ...(hooks.onRetry && { onRetry: hooks.onRetry }),
    });
    return { config, profiles: plan.profiles, results };
  } finally {
    clearTimeout(timer);
    await Promise.all(dispatchers.map((d) => d.close().catch(() => undefined)));
  }
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
  return new Map(config.endpoints.map((e) => [e, { dispatcher: track(createDispatcher(e, env)), authorizer: authorizerFor(e.auth, ({ oauth2 }) => tokensFor(oauth2)) }]));
}
