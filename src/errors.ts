/**
 * Every failure a user can cause or meet is a PyroPushError: a stable `code` for scripts and tests,
 * and the exit code it maps to. Anything else that escapes is a bug (exit 3).
 */
export const EXIT = {
  ok: 0,
  pushFailed: 1,
  usage: 2,
  internal: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type ErrorCode =
  | 'USAGE'
  | 'CONFIG'
  | 'INPUT'
  | 'LABEL'
  | 'TLS_CONFIG'
  | 'PUSH_FAILED';

export class PyroPushError extends Error {
  override name = 'PyroPushError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get exitCode(): ExitCode {
    return this.code === 'PUSH_FAILED' ? EXIT.pushFailed : EXIT.usage;
  }
}

/** A mistake in flags, environment, config or inputs: exit 2, nothing is sent. */
export function usageError(message: string, code: ErrorCode = 'USAGE'): PyroPushError {
  return new PyroPushError(code, message);
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
