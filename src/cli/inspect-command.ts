/**
 * `pyro-push inspect FILE… [--json]`: what a profile is and what the server would make of it, without
 * sending anything. It loads no network code and not the protobuf runtime (only its wire reader, through
 * profile/pprof.ts) — nor cli/render.ts, which loads the Push API's messages.
 */
import { readFile } from 'node:fs/promises';
import { EXIT, type ExitCode, INTERNAL_ERROR, ProblemsError, PyroPushError, RunStopped, fsProblem, usageError } from '../errors.js';
import type { PlanSettings } from '../profile/plan.js';
import { planSettingsFrom as resolvePlanSettings } from '../config/resolve.js';
import { flagWarnings, toPushOptions } from './flags.js';
import { expandInputs } from '../sources/find-inputs.js';
import { STDIN, STDIN_NAME } from '../sources/inputs.js';
import type { Io } from './io.js';
import { paintWith } from './paint.js';
import { type ProfileReport, type ReadAs, inspectBytes, unreadable } from '../profile/inspect.js';
import { block } from './inspect-render.js';
export interface InspectOptions {
  label?: string[];
  serviceName?: string;
  profileName?: string;
  /** --force-profile-name: --profile-name replaces even a type the sample types show. */
  forceProfileName?: boolean;
  strictLabelNames?: boolean;
  strict?: boolean;
  overrideTimestamp?: boolean;
  format?: string;
  sampleRate?: string;
  json?: boolean;
  /** false with --no-color. */
  color?: boolean;
}

export interface InspectDocument {
  ok: boolean;
  exitCode: ExitCode;
  error?: { code: string; messages: string[] };
  /** About the flags, not one profile (also on stderr as `warning: …`). */
  warnings: string[];
  profiles: ProfileReport[];
}

/**
 * The plan settings the flags give, exactly as a push resolves them (config/resolve.ts) when there is no
 * --config: labels laid over the profile's own, --profile-name applied per profile by plan.ts.
 */
/** The labelling a push with the same flags would do: the same conversion and rules, no config file. */
export function planSettingsFrom(opts: InspectOptions): { settings: PlanSettings; warnings: string[] } {
  const warnings: string[] = [];
  const settings = resolvePlanSettings(toPushOptions(opts), {}, warnings);
  return { settings, warnings: [...flagWarnings(opts), ...warnings] };
}

export async function runInspect(files: string[], opts: InspectOptions, io: Io): Promise<ExitCode> {
  const noColor = opts.color === false || (io.env.NO_COLOR ?? '') !== '';
  const paint = paintWith(!noColor && io.stdout.isTTY === true);
  const paintErr = paintWith(!noColor && io.stderr.isTTY === true);
  const said = new Set<string>();
  const sayError = (line: string) => {
    if (said.has(line)) return;
    said.add(line);
    io.stderr.write(`${paintErr('red', `error: ${line}`)}\n`);
  };
  const reports: ProfileReport[] = [];
  let runWarnings: string[] = [];
  let exitCode: ExitCode = EXIT.ok;
  try {
    const { settings, warnings } = planSettingsFrom(opts);
    const options = toPushOptions(opts);
    const read: ReadAs = { ...(options.format && { format: options.format }), ...(options.sampleRate !== undefined && { sampleRateHz: options.sampleRate }) };
    runWarnings = warnings;
    for (const w of warnings) io.stderr.write(`${paintErr('yellow', `warning: ${w}`)}\n`);
    if (files.length === 0) throw usageError('no profiles given: pass pprof files, directories, or - for stdin');
    if (files.filter((f) => f === STDIN).length > 1) throw usageError('- (stdin) given more than once; it can be read only once');
    // Expanded first: how many profiles a push would plan together decides where --profile-name applies.
    const items: Item[] = [];
    for (const arg of files) items.push(...(await expand(arg)));
    const runSize = items.filter((i) => i.problem === undefined).length;
    for (const item of items) {
      if (io.signal.aborted) break;
      const report = item.problem !== undefined ? unreadable(item.name, item.problem) : await inspectInput(item.name, io, settings, runSize, read);
      reports.push(report);
      if (!report.accepted && exitCode === EXIT.ok) exitCode = EXIT.usage;
      if (report.refused.some((r) => r.startsWith(INTERNAL_ERROR))) exitCode = EXIT.internal;
      // An input that is no profile at all is its one error line; one that parsed gets its block.
      if (!opts.json && report.samples.count !== null) io.stdout.write(`${block(report, paint).join('\n')}\n\n`);
      // As a push: each refusal on stderr, --json or not.
      report.refused.forEach(sayError);
    }
  } catch (error) {
    // Only a mistake in the flags gets here: each input's own problems are in its report.
    const lines = error instanceof ProblemsError ? error.problems : [error instanceof Error ? error.message : String(error)];
    const known = error instanceof PyroPushError;
    exitCode = known ? EXIT.usage : EXIT.internal;
    if (opts.json) io.stdout.write(`${JSON.stringify(document(reports, exitCode, runWarnings, { code: known ? error.code : 'INTERNAL', messages: lines }), null, 2)}\n`);
    for (const line of lines) io.stderr.write(`${paintErr('red', known ? `error: ${line}` : `${INTERNAL_ERROR}: ${line}`)}\n`);
    return exitCode;
  }
  const stop = io.signal.aborted ? RunStopped.from(io.signal.reason) : undefined;
  if (stop?.by === 'SIGINT') exitCode = EXIT.sigint;
  else if (stop?.by === 'SIGTERM') exitCode = EXIT.sigterm;
  if (opts.json) io.stdout.write(`${JSON.stringify(document(reports, exitCode, runWarnings), null, 2)}\n`);
  return exitCode;

  /** A directory is its files, as a push reads it; a name that cannot be listed is its own problem. */
  async function expand(arg: string): Promise<Item[]> {
    if (arg === STDIN) return [{ name: STDIN }];
    try {
      return (await expandInputs([arg])).names.map((name) => ({ name }));
    } catch (err) {
      if (err instanceof ProblemsError) return err.problems.map((problem) => ({ name: arg, problem }));
      if (err instanceof PyroPushError) return [{ name: arg, problem: err.message }];
      return [{ name: arg, problem: `${arg}: ${fsProblem(err)}` }];
    }
  }
}

/** An input to inspect, or why a name given could not be listed. */
interface Item {
  name: string;
  problem?: string;
}

function document(profiles: ProfileReport[], exitCode: ExitCode, warnings: string[], error?: { code: string; messages: string[] }): InspectDocument {
  return { ok: exitCode === EXIT.ok, exitCode, ...(error && { error }), warnings, profiles };
}

async function inspectInput(arg: string, io: Io, settings: PlanSettings, runSize: number, read: ReadAs): Promise<ProfileReport> {
  const name = arg === STDIN ? STDIN_NAME : arg;
  let bytes: Uint8Array;
  try {
    if (arg === STDIN) {
      if (io.stdin.isTTY) return unreadable(name, '- reads a profile from stdin, but stdin is a terminal: pipe a profile in');
      bytes = await io.stdin.read(io.signal);
    } else bytes = await readFile(arg, { signal: io.signal });
  } catch (err) {
    if (io.signal.aborted) return unreadable(name, `${name}: ${RunStopped.from(io.signal.reason).message} while it was being read`);
    if (err instanceof PyroPushError) return unreadable(name, err.message);
    return unreadable(name, `${name}: ${fsProblem(err)}`);
  }
  try {
    return inspectBytes(name, bytes, settings, io.now(), runSize, read);
  } catch (err) {
    // A bug, not the input's fault: said as one, for this input only.
    return unreadable(name, `${INTERNAL_ERROR}: ${name}: ${(err as Error)?.message ?? String(err)}`);
  }
}
