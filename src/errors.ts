/**
 * Exit codes, and PyroPushError: every mistake a user can make in flags, environment, config or inputs,
 * with a stable `code` for scripts and tests. A failed push is not an error but a result (delivery/);
 * anything else that escapes is a bug (exit 3).
 */
export const EXIT = {
  ok: 0,
  pushFailed: 1,
  usage: 2,
  internal: 3,
  /** 128 + the signal's number, as shells report a process a signal stopped. */
  sigint: 130,
  sigterm: 143,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type ErrorCode = 'USAGE' | 'CONFIG' | 'INPUT' | 'LABEL' | 'TLS_CONFIG';

/** The one wording of a bug, wherever it is caught. */
export const INTERNAL_ERROR = 'internal error (a bug in pyro-push, please report it)';

export class PyroPushError extends Error {
  override name = 'PyroPushError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Always 2: nothing was sent. */
  get exitCode(): ExitCode {
    return EXIT.usage;
  }
}

/** A mistake in flags, environment, config or inputs: exit 2, nothing is sent. `cause` is shown with --verbose. */
export function usageError(message: string, code: ErrorCode = 'USAGE', cause?: unknown): PyroPushError {
  return new PyroPushError(code, message, cause === undefined ? undefined : { cause });
}

/** A thrown error's exit code: 2 for a user's mistake, 3 for anything else (a bug). */
export function exitCodeForError(error: unknown): ExitCode {
  return error instanceof PyroPushError ? error.exitCode : EXIT.internal;
}

/** Two settings of which at most one may be given (password / password_file, ca_pem / ca_file, …). */
export function exclusive(a: unknown, b: unknown, aName: string, bName: string, code: ErrorCode = 'USAGE'): void {
  if (a !== undefined && b !== undefined) throw usageError(`${aName} and ${bName} are both set; use one`, code);
}

/** Why a file could not be read, in the words a user expects (the path is said by the caller). */
export function fsProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return `cannot be read (${code ?? (err as Error).message})`;
}

/** Several problems found in one pass (labels, config): all are reported, one line each. */
export class ProblemsError extends PyroPushError {
  constructor(
    code: ErrorCode,
    readonly problems: string[],
  ) {
    super(code, problems.join('\n'));
  }
}

/**
 * The reason a signal carries when work is cut short: the run's --deadline passed, the caller (Ctrl-C,
 * a signal, the library user) stopped it, or the endpoint was found down for the rest of the run.
 * Never retried; reported as what it is.
 */
export class RunStopped extends Error {
  override name = 'RunStopped';
  constructor(
    readonly why: 'deadline' | 'interrupted' | 'endpoint-down',
    /** How to name it in a result line: `--deadline 2s`, `SIGINT`, `staging is down (connection refused)`. */
    readonly by: string,
  ) {
    super(why === 'deadline' ? `stopped by ${by}` : why === 'interrupted' ? `interrupted (${by})` : `endpoint ${by}`);
  }

  /** Whatever a caller aborted with, as a RunStopped. */
  static from(reason: unknown): RunStopped {
    if (reason instanceof RunStopped) return reason;
    const text = reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason);
    return new RunStopped('interrupted', text);
  }
}
