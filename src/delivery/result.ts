import { EXIT, type ExitCode, exitCodeForError } from '../errors.js';
import type { Failure } from './outcome.js';

/**
 * Where one profile ended for one endpoint. Every profile × endpoint ends in exactly one of these, so the
 * counts always add up:
 * - `delivered`: the server answered that it stored it;
 * - `rejected`: the server refused the profile itself (with its reason); sending it again cannot help;
 * - `spooled`: not delivered, and written to --spool-dir for a later run;
 * - `not-sent`: not delivered and not spooled (retries exhausted, endpoint down, deadline, interrupted,
 *   or a spool that could not be written);
 * - `skipped`: an invalid input left out by --skip-invalid;
 * - `dropped`: a spool entry dropped by --spool-max-bytes or --spool-max-age.
 */
export type ResultState = 'delivered' | 'rejected' | 'spooled' | 'not-sent' | 'skipped' | 'dropped';
export const RESULT_STATES: readonly ResultState[] = ['delivered', 'spooled', 'rejected', 'not-sent', 'skipped', 'dropped'];

/** What became of one profile at one endpoint. */
export interface EndpointResult {
  endpoint: string;
  state: ResultState;
  /** Delivered. */
  ok: boolean;
  /** HTTP status of the last answer, when there was one. */
  status?: number;
  attempts: number;
  /** One line, secrets redacted, when not delivered. */
  error?: string;
  /** A bug in pyro-push, not the server's or the network's doing: the run exits 3. */
  internal?: true;
  /** Rejected, and a copy kept in the spool's rejected/ folder with the server's answer. */
  keptRejected?: true;
  failure?: Failure;
}

export interface ProfileResult {
  profile: string;
  labels: Record<string, string>;
  bytes: number;
  /** Where it came from when it is not a new input: a spool entry's id. */
  spoolEntry?: string;
  endpoints: EndpointResult[];
}

export type Counts = Record<ResultState, number>;

export function countResults(results: ProfileResult[]): Counts {
  const counts = Object.fromEntries(RESULT_STATES.map((s) => [s, 0])) as Counts;
  for (const r of results) for (const e of r.endpoints) counts[e.state]++;
  return counts;
}

/**
 * The exit code is a function of the outcome alone: the results of a run, or the error that stopped it.
 * 0 every profile delivered; 1 anything not delivered (waiting in the spool, rejected, not sent, dropped);
 * 2 inputs skipped by --skip-invalid and nothing else went wrong; 3 a bug.
 */
export function exitCodeFor(outcome: { results: ProfileResult[] } | { error: unknown }): ExitCode {
  if ('error' in outcome) return exitCodeForError(outcome.error);
  const all = outcome.results.flatMap((p) => p.endpoints);
  if (all.some((e) => e.internal)) return EXIT.internal;
  if (all.some((e) => e.state !== 'delivered' && e.state !== 'skipped')) return EXIT.pushFailed;
  return all.some((e) => e.state === 'skipped') ? EXIT.usage : EXIT.ok;
}

/**
 * A bulk run's results are mostly alike ("delivered, 200, first attempt"): those are one shared object,
 * and a profile whose results are all such shares its list too, so that what a run keeps per profile does
 * not grow with the number of endpoints. Results are never changed once made.
 */
export class AlikeResults {
  /** Per endpoint, the few shared results (by status and attempts: nearly always one). */
  readonly #results = new Map<string, EndpointResult[]>();
  readonly #lists = new Map<string, EndpointResult[]>();
  readonly #keys = new WeakMap<EndpointResult, string>();

  share(r: EndpointResult): EndpointResult {
    if (r.state !== 'delivered' || r.error !== undefined || r.internal || r.keptRejected || r.failure) return r;
    let alike = this.#results.get(r.endpoint);
    if (!alike) this.#results.set(r.endpoint, (alike = []));
    const same = alike.find((s) => s.status === r.status && s.attempts === r.attempts);
    if (same) return same;
    alike.push(Object.freeze(r));
    this.#keys.set(r, `${r.endpoint}\0${r.status}\0${r.attempts}`);
    return r;
  }

  list(rs: EndpointResult[]): EndpointResult[] {
    const keys = rs.map((r) => this.#keys.get(r));
    if (keys.some((k) => k === undefined)) return rs;
    const key = keys.join('\n');
    let same = this.#lists.get(key);
    if (!same) this.#lists.set(key, (same = Object.freeze(rs) as EndpointResult[]));
    return same;
  }
}
