import type { Env } from '../config/options.js';
import type { StdinSource } from '../sources/inputs.js';
import type { V8Tuning } from './v8-tuning.js';

export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Everything a command touches from outside: the process gives the real ones, tests their own. */
export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  stdin: StdinSource;
  env: Env;
  now: () => number;
  /** This process's id, and whether another process still runs (a spool's stale claims). */
  process?: { pid: number; isAlive(pid: number): boolean };
  /** Aborted when the process is asked to stop (Ctrl-C, SIGTERM): the run ends, says what it did, exits. */
  signal: AbortSignal;
  /** Told how large a run is, the process may tune its V8 for it (cli/v8-tuning.ts); absent elsewhere: V8's flags are the process's. */
  tuneV8?: V8Tuning;
}
