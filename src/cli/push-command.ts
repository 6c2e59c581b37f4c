import ms from 'ms';
import { formatDuration } from '../config/duration.js';
import type { CliOptions } from '../config/options.js';
import type { RunConfig } from '../config/resolve.js';
import { describeFailure } from '../delivery/outcome.js';
import { type ProfileResult, exitCodeFor } from '../delivery/result.js';
import { EXIT, type ExitCode, RunStopped } from '../errors.js';
import type { PlannedProfile } from '../profile/plan.js';
import type { SendInput } from '../sources/inputs.js';
import { flagWarnings, toPushOptions } from './flags.js';
import type { Io } from './io.js';
import { paintWith } from './paint.js';
import { dryRunLines, errorLines, jsonReport, resultLine, summaryLine } from './render.js';

/**
 * From this many inputs on, the process tunes V8 for a long run (`Io.tuneV8`): a heap kept small at some
 * cost in time, and optimised code. Below it a run is short and its heap small anyway (1 000 files peak at
 * ~70 MiB either way).
 */
export const MANY_INPUTS = 2000;
/** From this many requests (profiles × endpoints) on, sending is long enough for optimised code to pay (cli/v8-tuning.ts). */
export const MANY_REQUESTS = 3000;

/** Counts a run's inputs and requests as they become known, and tunes V8 once each count is many. */
function v8TuningFor(io: Io): { inputs(n: number): void; requests(n: number): void } {
  let inputs = 0;
  let requests = 0;
  return {
    inputs(n) {
      const before = inputs;
      inputs += n;
      if (before < MANY_INPUTS && inputs >= MANY_INPUTS) io.tuneV8?.manyInputs();
    },
    requests(n) {
      const before = requests;
      requests += n;
      if (before < MANY_REQUESTS && requests >= MANY_REQUESTS) io.tuneV8?.manyRequests();
    },
  };
}

interface Spinner {
  text: string;
  clear(): unknown;
  render(): unknown;
  stop(): unknown;
}

/** The CLI's push command: options in, lines and an exit code out. Everything it touches comes from `io`. */
export async function runPush(inputs: string[], opts: CliOptions, io: Io): Promise<ExitCode> {
  const noColor = opts.color === false || (io.env.NO_COLOR ?? '') !== '';
  const paint = paintWith(!noColor && io.stdout.isTTY === true);
  const paintErr = paintWith(!noColor && io.stderr.isTTY === true);
  const warnings: string[] = [];
  let spinner: Spinner | undefined;
  const toStderr = (line: string) => {
    spinner?.clear();
    io.stderr.write(`${line}\n`);
    spinner?.render();
  };
  const toStdout = (line: string) => {
    spinner?.clear();
    io.stdout.write(`${line}\n`);
    spinner?.render();
  };
  const warn = (w: string) => {
    warnings.push(w);
    if (!opts.quiet) toStderr(paintErr('yellow', `warning: ${w}`));
  };
  const started = io.now();
  let config: RunConfig | undefined;
  let planned: PlannedProfile<SendInput>[] = [];
  let done = 0;
  const tuning = v8TuningFor(io);
  try {
    // Loaded here, not at start-up: --help and --version never pay for undici, yaml or protobuf.
    const { push } = await import('../push.js');
    const options = toPushOptions(opts);
    for (const w of flagWarnings(opts)) warn(w);
    const report = await push(inputs, options, {
      env: io.env,
      stdin: io.stdin,
      signal: io.signal,
      ...(io.process && { process: io.process }),
      onWarning: warn,
      onInputs: (count) => tuning.inputs(count),
      // Spooled profiles are read and checked as inputs are, after them, and each is one request.
      onSpool: (entries) => {
        tuning.inputs(entries);
        tuning.requests(entries);
      },
      onProgress: (line) => {
        if (!opts.quiet) toStderr(paintErr('dim', line));
      },
      onPlan: async (c, profiles) => {
        config = c;
        planned = profiles;
        if (!c.dryRun) tuning.requests(profiles.length * c.endpoints.length);
        // ora only on a real terminal: it hangs on a 0-column one, and pipes and CI logs want plain lines.
        const tty = io.stderr.isTTY === true && (io.stderr.columns ?? 0) > 0;
        if (tty && !c.dryRun && !opts.quiet && !opts.verbose) {
          const { default: ora } = await import('ora');
          // discardStdin off: ora would put the terminal in raw mode, where Ctrl-C is a key, not SIGINT.
          spinner = ora({ stream: io.stderr as NodeJS.WritableStream, text: 'pushing…', color: noColor ? false : 'cyan', isEnabled: true, discardStdin: false }).start();
        }
      },
      onResult: (profile, result) => {
        done++;
        if (spinner) spinner.text = `pushed ${done} of ${planned.length * (config?.endpoints.length ?? 1)}`;
        if (opts.json) return;
        if (!result.ok) (opts.quiet ? toStderr : toStdout)(resultLine(profile, result, opts.quiet ? paintErr : paint));
        else if (!opts.quiet) toStdout(resultLine(profile, result, paint));
      },
      onRetry: (profile, endpoint, n, failure, wait) => {
        if (!opts.quiet) toStderr(paintErr('dim', `retry: ${profile.input.name} → ${endpoint.name}: ${describeFailure(failure, n)}; next try in ${formatDuration(wait)}`));
      },
      ...(opts.verbose && { log: (line: string) => toStderr(paintErr('dim', line)) }),
    });
    spinner?.stop();
    return finish(report.results, report.profiles);
  } catch (error) {
    spinner?.stop();
    if (opts.json) io.stdout.write(`${jsonReport(config, [], planned, warnings, error)}\n`);
    for (const line of errorLines(error, opts.verbose ?? false)) io.stderr.write(`${paintErr('red', line)}\n`);
    return interruptedExit() ?? exitCodeFor({ error });
  }

  /** 128 + the signal's number when a signal stopped the run, as shells report it. */
  function interruptedExit(): ExitCode | undefined {
    const stop = io.signal.aborted ? RunStopped.from(io.signal.reason) : undefined;
    return stop?.by === 'SIGINT' ? EXIT.sigint : stop?.by === 'SIGTERM' ? EXIT.sigterm : undefined;
  }

  function finish(results: ProfileResult[], profiles: PlannedProfile<SendInput>[]): ExitCode {
    if (opts.json) io.stdout.write(`${jsonReport(config, results, profiles, warnings)}\n`);
    else if (config?.dryRun) dryRunLines(config, profiles).forEach((l) => io.stdout.write(`${l}\n`));
    else if (!opts.quiet) io.stdout.write(`${summaryLine(results, ms(io.now() - started), paint)}\n`);
    return interruptedExit() ?? exitCodeFor({ results });
  }
}
