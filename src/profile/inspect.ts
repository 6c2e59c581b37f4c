/**
 * What one profile is and what the server would make of it, as data: the same checks as a push
 * (`decodeProfile`, then `planProfiles`), and what pprof-format's full decoding adds (period, duration,
 * sample labels, top functions). No I/O: `pyro-push inspect` reads the inputs and prints the reports.
 */
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { DELTA_DEFAULT, DELTA_LABEL, type Labels, NAME_LABEL, formatLabels, mergeLabels } from './labels.js';
import { deriveProfileName, type ProfileShape } from './name.js';
import { type PlanSettings, planProfiles, rateLimitedSize } from './plan.js';
import { type ProfileFacts, ProfileError, UNPROMOTED_SAMPLE_LABELS, decodeProfile, isGzip } from './pprof.js';
import { SERVER_LIMITS } from './server-limits.js';
import { convertCollapsed } from './collapsed.js';
import { identifyInput, presumedPprofFailure } from './formats.js';
import { type TopFunctions, int64, topFunctions } from './top-functions.js';

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
  /** `collapsed`: text stacks, inspected as the gzipped pprof a push converts them to. */
  format: 'gzip' | 'raw' | 'collapsed' | null;
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


export function unreadable(name: string, problem: string): ProfileReport {
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

/** --format and --sample-rate, as a push reads its inputs. */
export interface ReadAs {
  format?: 'pprof' | 'collapsed' | 'jfr';
  sampleRateHz?: number;
}

/**
 * One input's report: the same check as a push (`decodeProfile`, then `planProfiles` with the flags'
 * labels), and what pprof-format's full decoding adds (period, duration, sample labels, functions).
 * Pure but for the clock it is given; never throws on any bytes.
 */
export function inspectBytes(name: string, given: Uint8Array, settings: PlanSettings, nowMs: number, runSize = 1, read: ReadAs = {}): ProfileReport {
  // As a push reads it: told by content (or --format); collapsed stacks are inspected as the pprof they become.
  let bytes = given;
  let converted = false;
  let presumed = false;
  try {
    // Presumed pprof as a push presumes it (the check decides), and sniffed again if the check fails.
    const identified = given.length === 0 ? { format: 'pprof' as const } : identifyInput(given, read.format, { presumePprof: true });
    const format = identified.format;
    presumed = identified.presumed === true;
    if (format === 'jfr') return unreadable(name, `${name}: a JFR recording: sent as it is to /ingest (--protocol ingest), where the server parses it; nothing here to inspect`);
    if (format === 'collapsed') {
      bytes = convertCollapsed(given, read.sampleRateHz === undefined ? {} : { sampleRateHz: read.sampleRateHz }).bytes;
      converted = true;
    }
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    return unreadable(name, `${name}: ${err.message}`);
  }
  const report = unreadable(name, '');
  report.refused = [];
  report.format = converted ? 'collapsed' : isGzip(bytes) ? 'gzip' : 'raw';
  report.bytes.given = given.length;

  let facts: ProfileFacts | undefined;
  let failure: ProfileError | undefined;
  try {
    facts = decodeProfile(bytes);
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    failure = presumed ? presumedPprofFailure(given, err) : err;
    if (failure !== err) return unreadable(name, `${name}: ${failure.message}`);
  }
  report.bytes.uncompressed = facts?.uncompressedSize ?? failure?.uncompressedSize ?? null;
  report.bytes.encoded = facts?.encodedSize ?? failure?.partial?.encodedSize ?? null;

  // Decoded in full only when the wire pass could read it: pprof-format is lenient where the server is not.
  let profile: Profile | undefined;
  if (facts || failure?.partial) {
    try {
      profile = Profile.decode(isGzip(bytes) ? gunzipSync(bytes) : bytes);
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
