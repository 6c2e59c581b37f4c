import { EXIT, type ExitCode, exitCodeForError } from '../errors.js';
import type { Failure } from './outcome.js';

/** What became of one profile at one endpoint. */
export interface EndpointResult {
  endpoint: string;
  ok: boolean;
  /** HTTP status of the last answer, when there was one. */
  status?: number;
  attempts: number;
  /** One line, secrets redacted, when !ok. */
  error?: string;
  /** A bug in pyro-push, not the server's or the network's doing: the run exits 3. */
  internal?: true;
  failure?: Failure;
}

export interface ProfileResult {
  profile: string;
  labels: Record<string, string>;
  bytes: number;
  endpoints: EndpointResult[];
}

/** The exit code is a function of the outcome alone: the results of a run, or the error that stopped it. */
export function exitCodeFor(outcome: { results: ProfileResult[] } | { error: unknown }): ExitCode {
  if ('error' in outcome) return exitCodeForError(outcome.error);
  const all = outcome.results.flatMap((p) => p.endpoints);
  if (all.some((e) => e.internal)) return EXIT.internal;
  return all.every((e) => e.ok) ? EXIT.ok : EXIT.pushFailed;
}
