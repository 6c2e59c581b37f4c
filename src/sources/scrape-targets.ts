/**
 * What a scrape fetches: Go's pprof endpoints as `--profiles` names them, and the targets of
 * `--scrape BASE --profiles … --seconds N` and of an `http(s)://…` input, each with the `__name__` and
 * `__delta__` its path decides. Which endpoints, named how, follows Grafana Alloy's `pyroscope.scrape`
 * (grafana/alloy internal/component/pyroscope/scrape: `scrape.go` DefaultProfilingConfig, `target.go`
 * targetsFromGroup, `delta_profiles.go` the `__delta__` label). Fetching them is `scrape.ts`.
 */
import { parseHttpUrl } from '../config/url.js';
import { usageError } from '../errors.js';
import { redactUrl } from '../secret.js';

/**
 * Go's standard endpoints (net/http/pprof), as `--profiles` names them.
 *
 * `cumulative`: Go's heap/allocs, mutex and block profiles count from the start of the process: Alloy
 * computes their delta itself (fastdelta, keyed by `__name__` memory/mutex/block) and sends the result with
 * `__delta__="false"`, which tells Pyroscope not to compute a delta again: without it the server's v1
 * ingester (pkg/phlaredb/head.go, delta.go) treats a `memory` profile's alloc_objects/alloc_space as
 * cumulative and drops them from the first profile of every series, which for a one-shot push is every
 * profile. pyro-push sends one profile, so there is nothing to subtract: the values stay cumulative
 * (since the process started), labelled as Alloy labels these `__name__`s. CPU and goroutine profiles
 * get no `__delta__`, as in Alloy.
 *
 * `memory` is Alloy's name for `/debug/pprof/allocs` (its default path); `heap` is the same Go profile
 * (all four sample types, only the default type differs), so both map to `memory` and only one may be given.
 *
 * godeltaprof (`/debug/pprof/delta_heap`, `delta_mutex`, `delta_block`) is not offered here: Alloy has it
 * disabled by default, and its handler keeps one "previous profile" per process shared by every reader, so
 * a one-shot scrape would both get "since whoever read last" and steal that interval from the Alloy that
 * normally scrapes the service. Given as a URL input, it is still recognised (see `targetForUrl`).
 */
export const GO_PROFILES = {
  cpu: { path: '/debug/pprof/profile', name: 'process_cpu', cumulative: false },
  heap: { path: '/debug/pprof/heap', name: 'memory', cumulative: true },
  allocs: { path: '/debug/pprof/allocs', name: 'memory', cumulative: true },
  goroutine: { path: '/debug/pprof/goroutine', name: 'goroutine', cumulative: false },
  mutex: { path: '/debug/pprof/mutex', name: 'mutex', cumulative: true },
  block: { path: '/debug/pprof/block', name: 'block', cumulative: true },
} as const;
export type GoProfile = keyof typeof GO_PROFILES;
const KNOWN = Object.keys(GO_PROFILES) as GoProfile[];

/** godeltaprof's paths (grafana/pyroscope-go godeltaprof/http/pprof): already deltas, recognised in URL inputs. */
const GODELTAPROF: Record<string, string> = { delta_heap: 'memory', delta_mutex: 'mutex', delta_block: 'block' };

/** Go's net/http/pprof Profile handler collects 30 s when `seconds` is missing or not a positive integer. */
const GO_DEFAULT_CPU_SECONDS = 30;

export interface ScrapeTarget {
  /** The `--profiles` name; undefined for a URL input at a path that is not one of Go's. */
  profile: GoProfile | undefined;
  /** What is fetched (with any credentials the user put in it). */
  url: string;
  /** The URL as it may be printed: the password replaced. Errors and input names use it. */
  display: string;
  /** `__name__`, known from the path; undefined when the path says nothing (then the sample types decide). */
  name: string | undefined;
  /** The server's values count from the start of the process (Go heap/allocs, mutex, block, unless asked `?seconds=`). */
  cumulative: boolean;
  /** Series labels the path decides: `__name__`, and `__delta__: 'false'` where Alloy sends it. */
  labels: Readonly<Record<string, string>>;
  /** How long the server collects before it answers (the CPU profile's `seconds`); 0 when it answers at once. */
  seconds: number;
}

/**
 * `--scrape BASE --profiles cpu,heap --seconds N` as targets, in the order given (a name given twice is
 * fetched once). BASE is an http(s) URL without query; a path in it is a prefix (Alloy's `path_prefix`),
 * and a trailing `/debug/pprof` is taken as meant (`--scrape http://app:6060/debug/pprof` works).
 */
export function scrapeTargets(base: string, profiles: string[], seconds: number): ScrapeTarget[] {
  if (!Number.isSafeInteger(seconds) || seconds < 1)
    throw usageError(`--seconds: ${JSON.stringify(seconds)} is not a whole number of seconds of at least 1 (how long the CPU profile is collected)`);
  const wanted = [...new Set(profiles.map((p) => p.trim()).filter((p) => p !== ''))];
  if (wanted.length === 0) throw usageError(`--profiles: no profile named; give some of ${KNOWN.join(', ')}`);
  const unknown = wanted.filter((p) => !(KNOWN as string[]).includes(p));
  if (unknown.length > 0)
    throw usageError(`--profiles: unknown profile${unknown.length > 1 ? 's' : ''} ${unknown.map((p) => JSON.stringify(p)).join(', ')}; known: ${KNOWN.join(', ')}`);
  if (wanted.includes('heap') && wanted.includes('allocs'))
    throw usageError('--profiles: heap and allocs are the same Go profile (memory: allocations and in-use, since the process started); give one');

  const url = parseHttpUrl(base, '--scrape', { refuseQuery: true, example: 'http://app:6060' });
  const prefix = url.pathname.replace(/\/+$/, '').replace(/\/debug\/pprof$/, '');
  return (wanted as GoProfile[]).map((profile) => {
    const { path, name, cumulative } = GO_PROFILES[profile];
    const u = new URL(url);
    u.pathname = `${prefix}${path}`;
    const waits = profile === 'cpu';
    if (waits) u.search = `?seconds=${seconds}`;
    return target(profile, u, name, cumulative, waits ? seconds : 0);
  });
}

/**
 * An `http(s)://…` input as a target: a Go path (`/debug/pprof/heap`, `…/profile?seconds=10`, godeltaprof's
 * `delta_heap`, under any prefix) gives `__name__` and `__delta__` as `--scrape` does; any other path leaves
 * them to the sample types, as for a file. `seconds` in the query is how long the server collects
 * (Go's CPU endpoint collects 30 s without it), which the timeout allows for.
 */
export function targetForUrl(text: string, what = 'input'): ScrapeTarget {
  const url = parseHttpUrl(text, what, { example: 'http://app:6060/debug/pprof/profile?seconds=10' });
  const last = /\/debug\/pprof\/([a-z_]+)\/?$/.exec(url.pathname)?.[1];
  const askedSeconds = Number(url.searchParams.get('seconds') ?? '');
  const seconds = Number.isSafeInteger(askedSeconds) && askedSeconds > 0 ? askedSeconds : 0;
  const go = last === 'profile' ? 'cpu' : last !== undefined && last in GO_PROFILES && last !== 'cpu' ? (last as GoProfile) : undefined;
  if (go !== undefined) {
    const { name, cumulative } = GO_PROFILES[go];
    // Go's `?seconds=N` on heap/allocs/mutex/block answers a delta over N s: still not one to subtract again.
    if (go === 'cpu') return target(go, url, name, false, seconds || GO_DEFAULT_CPU_SECONDS);
    return target(go, url, name, cumulative && seconds === 0, seconds, cumulative);
  }
  const delta = last === undefined ? undefined : GODELTAPROF[last];
  // Already a delta (since the previous reader): `__delta__="false"` so the server does not subtract again.
  // Alloy sends godeltaprof profiles without the label; the server's v1 ingester would then drop a
  // one-shot profile's alloc_* types (see GO_PROFILES), so here the label is set.
  if (delta !== undefined) return target(undefined, url, delta, false, seconds, true);
  return target(undefined, url, undefined, false, seconds);
}

/** `notDelta`: label `__delta__="false"` (the server must not subtract); by default for cumulative profiles. */
function target(profile: GoProfile | undefined, url: URL, name: string | undefined, cumulative: boolean, seconds: number, notDelta = cumulative): ScrapeTarget {
  const labels: Record<string, string> = {};
  if (name !== undefined) labels.__name__ = name;
  if (notDelta) labels.__delta__ = 'false';
  return { profile, url: url.href, display: redactUrl(url), name, cumulative, labels, seconds };
}
