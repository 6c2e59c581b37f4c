/**
 * `pyro-push inspect FILE… [--json]`: what a profile is and what the server would make of it, without
 * sending anything. It loads no network code and not the protobuf runtime (only its wire reader, through
 * profile/pprof.ts) — nor cli/render.ts, which loads the Push API's messages.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { EXIT, type ExitCode, INTERNAL_ERROR, ProblemsError, PyroPushError, RunStopped, fsProblem, usageError } from '../errors.js';
import { DELTA_DEFAULT, DELTA_LABEL, type Labels, NAME_LABEL, SERVICE_LABEL, formatLabels, labelsFromFlags, mergeLabels, parseLabelFlag } from '../profile/labels.js';
import { deriveProfileName, type ProfileShape } from '../profile/name.js';
import { type PlanSettings, planProfiles, rateLimitedSize } from '../profile/plan.js';
import { planSettingsFrom as resolvePlanSettings } from '../config/resolve.js';
import { flagWarnings, toPushOptions } from './flags.js';
import { type ProfileFacts, ProfileError, UNPROMOTED_SAMPLE_LABELS, decodeProfile, isGzip } from '../profile/pprof.js';
import { SERVER_LIMITS } from '../profile/server-limits.js';
import { convertCollapsed } from '../profile/collapsed.js';
import { resolveFormat } from '../profile/formats.js';
import { type FunctionCost, type TopFunctions, int64, topFunctions } from '../profile/top-functions.js';
import { STDIN, STDIN_NAME, expandInputs } from '../sources/inputs.js';
import type { Io } from './io.js';
import { type Paint, paintWith, plural } from './paint.js';

/** The flags of a push that shape what the server would be sent, and the output flags. */
export interface InspectOptions {
  label?: string[];
  serviceName?: string;
  profileName?: string;
  /** --force-profile-name: --profile-name replaces even a type the sample types show. */
  forceProfileName?: boolean;
  strictLabelNames?: boolean;
  strict?: boolean;
  overrideTimestamp?: boolean;
  json?: boolean;
  /** false with --no-color. */
  color?: boolean;
}

export type IngestionWindow = 'inside' | 'outside' | 'not-set' | 'overridden';

/** What becomes of a sample-label key on the server (pkg/model/pprofsplit). */
export type SampleLabelUse = 'series label' | 'replaced by a series label' | 'stays on the samples' | 'dropped (numeric)';

export interface SampleLabelReport {
  key: string;
  /** Samples that carry the key (once per sample). */
  samples: number;
  /** Distinct string values. */
  values: number;
  use: SampleLabelUse;
}

/** Everything `inspect` tells of one input; `--json` prints a list of these. Unknown facts are null. */
export interface ProfileReport {
  profile: string;
  /** True when the server would store it, as pushed with these flags. */
  accepted: boolean;
  /** Why it would be refused, one line each, as a push says it (without `error: `). */
  refused: string[];
  warnings: string[];
  /** How the real server answers a profile its validation refuses. */
  server: { status: number; code: string; message: string } | null;
  format: 'gzip' | 'raw' | null;
  bytes: { given: number | null; uncompressed: number | null; encoded: number | null; rateLimited: number | null };
  sampleTypes: Array<{ type: string; unit: string }>;
  defaultSampleType: string | null;
  period: { type: string; unit: string; value: number } | null;
  profileName: { derived: string | null; sent: string | null; reason: string | null };
  time: { nanos: string | null; iso: string | null; window: IngestionWindow | null; durationNanos: string | null; duration: string | null };
  samples: { count: number | null; stored: number | null };
  sampleLabels: SampleLabelReport[];
  /** The series labels it would be sent with (the server adds each group's sample labels). */
  labels: Labels | null;
  topFunctions: TopFunctions | null;
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
      const report = item.problem !== undefined ? unreadable(item.name, item.problem) : await inspectInput(item.name, io, settings, runSize);
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
      return (await expandInputs([arg])).map((name) => ({ name }));
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

async function inspectInput(arg: string, io: Io, settings: PlanSettings, runSize: number): Promise<ProfileReport> {
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
    return inspectBytes(name, bytes, settings, io.now(), runSize);
  } catch (err) {
    // A bug, not the input's fault: said as one, for this input only.
    return unreadable(name, `${INTERNAL_ERROR}: ${name}: ${(err as Error)?.message ?? String(err)}`);
  }
}

function unreadable(name: string, problem: string): ProfileReport {
  return {
    profile: name,
    accepted: false,
    refused: [problem],
    warnings: [],
    server: null,
    format: null,
    bytes: { given: null, uncompressed: null, encoded: null, rateLimited: null },
    sampleTypes: [],
    defaultSampleType: null,
    period: null,
    profileName: { derived: null, sent: null, reason: null },
    time: { nanos: null, iso: null, window: null, durationNanos: null, duration: null },
    samples: { count: null, stored: null },
    sampleLabels: [],
    labels: null,
    topFunctions: null,
  };
}

/**
 * One input's report: the same check as a push (`decodeProfile`, then `planProfiles` with the flags'
 * labels), and what pprof-format's full decoding adds (period, duration, sample labels, functions).
 * Pure but for the clock it is given; never throws on any bytes.
 */
export function inspectBytes(name: string, given: Uint8Array, settings: PlanSettings, nowMs: number, runSize = 1): ProfileReport {
  // As a push reads it: told by content; collapsed stacks are inspected as the pprof they become.
  let bytes = given;
  try {
    const format = given.length === 0 ? 'pprof' : resolveFormat(given);
    if (format === 'jfr') return unreadable(name, `${name}: a JFR recording: sent as it is to /ingest (--protocol ingest), where the server parses it; nothing here to inspect`);
    if (format === 'collapsed') bytes = convertCollapsed(given).bytes;
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    return unreadable(name, `${name}: ${err.message}`);
  }
  const report = unreadable(name, '');
  report.refused = [];
  report.format = isGzip(bytes) ? 'gzip' : 'raw';
  report.bytes.given = bytes.length;

  let facts: ProfileFacts | undefined;
  let failure: ProfileError | undefined;
  try {
    facts = decodeProfile(bytes);
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    failure = err;
  }
  report.bytes.uncompressed = facts?.uncompressedSize ?? failure?.uncompressedSize ?? null;
  report.bytes.encoded = facts?.encodedSize ?? failure?.partial?.encodedSize ?? null;

  // Decoded in full only when the wire pass could read it: pprof-format is lenient where the server is not.
  let profile: Profile | undefined;
  if (facts || failure?.partial) {
    try {
      profile = Profile.decode(report.format === 'gzip' ? gunzipSync(bytes) : bytes);
    } catch {
      profile = undefined;
    }
  }
  const strings = profile?.stringTable.strings ?? [];
  const text = (i: number | bigint | undefined) => (i === undefined ? '' : (strings[Number(i)] ?? ''));

  if (facts) {
    report.sampleTypes = facts.shape.sampleTypes.map((type, i) => ({ type, unit: (facts.sampleTypeUnits[i] ?? '').slice(type.length + 1) }));
  } else if (profile) {
    report.sampleTypes = profile.sampleType.map((t) => ({ type: text(t.type), unit: text(t.unit) }));
  }
  if (profile) {
    report.defaultSampleType = profile.defaultSampleType ? text(profile.defaultSampleType) : null;
    const periodType = profile.periodType;
    if (periodType || int64(profile.period) !== 0) report.period = { type: text(periodType?.type), unit: text(periodType?.unit), value: int64(profile.period) };
  }
  const shape: ProfileShape | undefined = facts?.shape ??
    (profile && { sampleTypes: report.sampleTypes.map((t) => t.type), periodType: report.period?.type ?? '', periodUnit: report.period?.unit ?? '' });

  // Time and duration.
  const timeNanos = facts ? facts.timeNanos : profile ? BigInt(int64(profile.timeNanos)) : undefined;
  if (timeNanos !== undefined) {
    report.time.nanos = String(timeNanos);
    const atMs = Number(timeNanos / 1_000_000n);
    report.time.iso = timeNanos === 0n ? null : isoOrNull(atMs);
    report.time.window = settings.overrideTimestamp
      ? 'overridden'
      : timeNanos === 0n
        ? 'not-set'
        : atMs < nowMs - SERVER_LIMITS.ingestionWindowPastMs || atMs > nowMs + SERVER_LIMITS.ingestionWindowFutureMs
          ? 'outside'
          : 'inside';
  }
  if (profile) {
    const duration = int64(profile.durationNanos);
    report.time.durationNanos = String(duration);
    report.time.duration = duration === 0 ? null : formatNanos(duration);
  }

  report.samples.count = facts?.sampleCount ?? failure?.partial?.sampleCount ?? null;
  report.samples.stored = facts?.storedSampleCount ?? null;

  // Labels: a push's own plan when the profile passed; otherwise the same merge, to show what was asked.
  const derived = shape ? deriveProfileName(shape, name) : undefined;
  report.profileName.derived = derived ?? null;
  if (shape && !derived) report.profileName.reason = whyNoName(shape);
  if (facts) {
    const plan = planProfiles([{ ...facts, name }], settings, nowMs, runSize);
    report.refused.push(...plan.problems);
    report.warnings.push(...plan.warnings);
    report.labels = plan.profiles[0]?.labels ?? null;
  } else if (failure) {
    report.refused.push(`${name}: ${failure.message}`);
    if (failure.server) {
      const labels = formatLabels(seriesLabels(derived, settings, runSize));
      report.server = { status: failure.server.code === 'invalid_argument' ? 400 : 500, code: failure.server.code, message: failure.server.message({ labels, id: '<id>' }) };
    }
  }
  if (shape && !report.labels) report.labels = seriesLabels(derived, settings, runSize);
  report.profileName.sent = report.labels?.[NAME_LABEL] ?? null;
  if (report.bytes.encoded !== null && report.labels) report.bytes.rateLimited = rateLimitedSize({ encodedSize: report.bytes.encoded }, report.labels);

  if (profile) {
    report.sampleLabels = sampleLabels(profile, text, report.labels ?? {});
    if (profile.sampleType.length > 0) report.topFunctions = topFunctions(profile);
  }
  report.accepted = report.refused.length === 0;
  return report;
}

/**
 * What plan.ts gives a profile it plans (here: one it refused before planning): its own `__delta__` and
 * `__name__` (derived, or --profile-name where that applies), under the flags' labels.
 */
function seriesLabels(derived: string | undefined, settings: PlanSettings, runSize: number): Labels {
  const own: Labels = { [DELTA_LABEL]: DELTA_DEFAULT };
  const chosen = settings.profileName;
  const name = chosen && (!derived || chosen.force || runSize === 1) ? chosen.value : derived;
  if (name) own[NAME_LABEL] = name;
  return mergeLabels(own, settings.externalLabels);
}

function whyNoName(shape: ProfileShape): string {
  const types = shape.sampleTypes.map((t) => t.toLowerCase());
  if (types.includes('contentions') || types.includes('delay'))
    return 'Go block and mutex profiles have the same sample types (contentions, delay): name the file *block* or *mutex*, or pass --profile-name block or mutex';
  if (types.length > 0 && types.every((t) => t === 'samples'))
    return `samples/count with a period in ${shape.periodUnit || 'no unit'}, not a unit of time: pass --profile-name (e.g. process_cpu)`;
  return `no rule knows the sample types (${shape.sampleTypes.join(', ') || 'none'}): pass --profile-name (e.g. process_cpu)`;
}

function sampleLabels(profile: Profile, text: (i: number | bigint | undefined) => string, series: Labels): SampleLabelReport[] {
  const keys = new Map<string, { samples: number; values: Set<string>; strings: number }>();
  for (const sample of profile.sample) {
    const seen = new Set<string>();
    for (const label of sample.label) {
      const key = text(label.key);
      let k = keys.get(key);
      if (!k) keys.set(key, (k = { samples: 0, values: new Set(), strings: 0 }));
      if (!seen.has(key)) {
        seen.add(key);
        k.samples++;
      }
      const value = int64(label.str) !== 0 ? text(label.str) : '';
      if (value !== '') {
        k.values.add(value);
        k.strings++;
      }
    }
  }
  return [...keys.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, k]) => ({
      key,
      samples: k.samples,
      values: k.values.size,
      use: k.strings === 0 ? 'dropped (numeric)' : UNPROMOTED_SAMPLE_LABELS.has(key) ? 'stays on the samples' : Object.hasOwn(series, key) ? 'replaced by a series label' : 'series label',
    }));
}

function isoOrNull(ms: number): string | null {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

// ---- Human output ----


const KEY_WIDTH = 15;

/** One compact block per input: a head line, then `key  value` lines aligned on one column. */
export function block(r: ProfileReport, paint: Paint): string[] {
  const lines = [`${paint('bold', r.profile)}  ${r.accepted ? paint('green', '✔ would be accepted') : paint('red', '✖ would be refused')}`];
  const row = (key: string, value: string) => lines.push(`  ${key.padEnd(KEY_WIDTH)}${value}`);
  const more = (value: string) => lines.push(`  ${''.padEnd(KEY_WIDTH)}${value}`);
  const b = r.bytes;
  const sizes = [b.uncompressed !== null && r.format === 'gzip' ? `${bytesText(b.uncompressed)} uncompressed` : '', b.encoded !== null ? `${bytesText(b.encoded)} as the server counts it` : ''].filter(Boolean);
  row('format', `${r.format ?? 'unknown'}, ${bytesText(b.given ?? 0)}${sizes.length ? ` (${sizes.join(', ')})` : ''}${misnamed(r)}`);
  if (r.sampleTypes.length > 0) {
    const dflt = r.defaultSampleType ? paint('dim', ` (default ${r.defaultSampleType})`) : '';
    row('sample types', `${r.sampleTypes.map((t) => `${t.type}/${t.unit}`).join(', ')}${dflt}`);
  }
  if (r.period) row('period', `${r.period.value} ${r.period.type}/${r.period.unit}${timeUnit(r.period.unit) && r.period.value > 0 ? paint('dim', ` (${valueText(r.period.value, r.period.unit)})`) : ''}`);
  if (r.profileName.derived || r.profileName.reason || r.profileName.sent) {
    const { derived, sent, reason } = r.profileName;
    if (derived && (!sent || sent === derived)) row('__name__', `${derived} ${paint('dim', '(from the sample types)')}`);
    else if (derived && sent) row('__name__', `${sent} ${paint('dim', `(from the flags; the sample types say ${derived})`)}`);
    else if (sent) row('__name__', `${sent} ${paint('dim', `(from the flags; the sample types cannot tell it)`)}`);
    else row('__name__', paint('red', `cannot be derived: ${reason}`));
  }
  if (r.time.nanos !== null) row('time', timeText(r, paint));
  if (r.time.durationNanos !== null) row('duration', r.time.duration ?? paint('dim', 'not set'));
  if (r.samples.count !== null) row('samples', `${r.samples.count}${r.samples.stored !== null ? paint('dim', ` (${r.samples.stored} kept by the server)`) : ''}`);
  if (r.format !== null && r.samples.count !== null) {
    if (r.sampleLabels.length === 0) row('sample labels', paint('dim', 'none'));
    r.sampleLabels.forEach((l, i) =>
      (i === 0 ? (v: string) => row('sample labels', v) : more)(`${l.key === '' ? '""' : printable(l.key)}: ${plural(l.samples, 'sample')}, ${plural(l.values, 'value')} ${paint('dim', `→ ${l.use}`)}`),
    );
  }
  if (r.labels) {
    // The server adds each group's sample labels to its series (pkg/model/pprofsplit).
    const fromSamples = r.sampleLabels.filter((l) => l.use === 'series label').map((l) => printable(l.key));
    row('series labels', `${formatLabels(r.labels)}${fromSamples.length ? paint('dim', ` + ${fromSamples.join(', ')} from the samples`) : ''}`);
  }
  r.warnings.forEach((w, i) => (i === 0 ? (v: string) => row('warnings', v) : more)(paint('yellow', withoutName(w, r.profile))));
  if (r.server) row('server answer', `${r.server.status} ${r.server.code}: ${r.server.message}`);
  r.refused.forEach((p, i) => (i === 0 ? (v: string) => row('refused', v) : more)(paint('red', withoutName(p, r.profile))));
  if (r.topFunctions) lines.push(...topLines(r.topFunctions, paint));
  return lines;
}

function topLines(top: TopFunctions, paint: Paint): string[] {
  const head = `  ${'top functions'.padEnd(KEY_WIDTH)}by ${top.sampleType}/${top.unit}, total ${valueText(top.total, top.unit)}${paint('dim', `, ${plural(top.functionCount, 'function')}`)}`;
  if (top.byFlat.length === 0) return [head];
  const cells = top.byFlat.map((f: FunctionCost) => [valueText(f.flat, top.unit), percent(f.flat, top.total), valueText(f.cum, top.unit), percent(f.cum, top.total)]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(['flat', 'flat%', 'cum', 'cum%'][i]?.length ?? 0, ...cells.map((c) => c[i]?.length ?? 0)));
  const fmt = (c: string[]) => c.map((v, i) => v.padStart(widths[i] ?? 0)).join('  ');
  const pad = ''.padEnd(KEY_WIDTH + 2);
  return [head, `${pad}${paint('dim', `${fmt(['flat', 'flat%', 'cum', 'cum%'])}  function`)}`, ...top.byFlat.map((f, i) => `${pad}${fmt(cells[i] ?? [])}  ${printable(f.name)}`)];
}

function timeText(r: ProfileReport, paint: Paint): string {
  const { window, iso } = r.time;
  if (window === 'overridden') return `${iso ?? 'not set'} ${paint('dim', '(replaced by the time of sending: --override-timestamp)')}`;
  if (window === 'not-set' || iso === null) return paint('dim', 'not set (the server uses the time it receives it)');
  if (window === 'inside') return `${iso} ${paint('dim', '(inside the ingestion window)')}`;
  return `${iso} ${paint('yellow', '(outside the ingestion window: the last hour to 10 minutes ahead)')}`;
}

/** Real profiles are often named `.gz` and raw inside, or the other way round: the bytes decide. */
function misnamed(r: ProfileReport): string {
  const gzName = /\.gz$/i.test(r.profile);
  if (r.format === 'raw' && gzName) return ' — named .gz, raw inside (told by its bytes)';
  return '';
}

const MAX_NAME = 120;

/** A name from the profile, safe on a terminal: control characters escaped, very long names cut. */
export function printable(name: string): string {
  const safe = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return safe.length > MAX_NAME ? `${safe.slice(0, MAX_NAME - 1)}…` : safe;
}

function withoutName(line: string, name: string): string {
  return line.startsWith(`${name}: `) ? line.slice(name.length + 2) : line;
}

function percent(part: number, total: number): string {
  return total === 0 ? '-' : `${((100 * part) / total).toFixed(1)}%`;
}

const NANOS: Record<string, number> = { nanoseconds: 1, microseconds: 1e3, milliseconds: 1e6, seconds: 1e9 };
const timeUnit = (unit: string): number | undefined => NANOS[unit];

/** A sample value in its unit: durations and bytes read as such, anything else as a number. */
export function valueText(value: number, unit: string): string {
  const scale = timeUnit(unit);
  if (scale !== undefined) return formatNanos(value * scale);
  if (unit === 'bytes') return bytesText(value);
  return String(value);
}

/** `450ns`, `3.2µs`, `12.5ms`, `1.23s`, `3m8.9s`, `2h0m5s`: durations as people read them. */
export function formatNanos(ns: number): string {
  const sign = ns < 0 ? '-' : '';
  const n = Math.abs(ns);
  const trim = (x: number, digits: number) => String(Number(x.toFixed(digits)));
  if (n < 1e3) return `${sign}${trim(n, 0)}ns`;
  if (n < 1e6) return `${sign}${trim(n / 1e3, 1)}µs`;
  if (n < 1e9) return `${sign}${trim(n / 1e6, 1)}ms`;
  if (n < 60e9) return `${sign}${trim(n / 1e9, 2)}s`;
  // Tenths of a second, rounded once, so that 59.96s reads 1m0s and not 59m60s.
  const tenths = Math.round(n / 1e8);
  const h = Math.floor(tenths / 36_000);
  const m = Math.floor((tenths % 36_000) / 600);
  const s = (tenths % 600) / 10;
  return `${sign}${h > 0 ? `${h}h` : ''}${m}m${s}s`;
}

/** `171 B`, `1.2 KiB`, `3.4 MiB`. */
export function bytesText(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1024) return `${n} B`;
  if (abs < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (abs < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GiB`;
}

