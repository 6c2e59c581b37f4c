import { DELTA_DEFAULT, DELTA_LABEL, type Labels, NAME_LABEL, SERVICE_LABEL, labelCountProblem, labelProblems, mergeLabels, sampleLabelProblems } from './labels.js';
import { deriveProfileName } from './name.js';
import { type ProfileFacts, type SampleLabelFacts, sameSampleLabelFacts } from './pprof.js';
import { SERVER_LIMITS } from './server-limits.js';

/** What planning needs to know of an input: its name and what decoding it told. */
export interface PlanInput extends ProfileFacts {
  name: string;
  /** A JFR recording has no pprof facts: the server names its profiles per event. */
  format?: 'pprof' | 'collapsed' | 'jfr';
  /** Labels the input's source decides (a scraped Go endpoint: `__name__`, `__delta__`), over the derived ones. */
  ownLabels?: Readonly<Labels>;
}

/** What planning needs of the run's settings (a RunConfig has them all). */
export interface PlanSettings {
  /** Labels laid over every profile's own (Alloy's external_labels); an empty value deletes. */
  externalLabels: Labels;
  legacyLabelNames: boolean;
  strict: boolean;
  overrideTimestamp: boolean;
  /**
   * --profile-name: the `__name__` of profiles whose type cannot be told from their sample types. It also
   * replaces a type that can be told when it is the only profile, or with `force` (--force-profile-name).
   */
  profileName?: { value: string; force: boolean };
}

/** A validated input with the exact labels it will be sent with. */
export interface PlannedProfile<T extends { name: string } = PlanInput> {
  input: T;
  labels: Labels;
}

export interface Plan<T extends PlanInput> {
  profiles: PlannedProfile<T>[];
  /** Each makes the run exit 2 before sending anything. */
  problems: string[];
  warnings: string[];
}

const MiB = 1024 * 1024;

/** Said once for a run, after the warnings of each profile, however its profiles were planned. */
export const NO_SERVICE_NAME = 'no service_name label: the server will store these profiles as "unknown_service" (pass --service-name)';

/**
 * Labels for every input, and every reason the server would refuse one (refused here with --strict).
 * `memo`, kept by a caller that plans a run's inputs one call at a time, spares inputs of one kind
 * working out the same labels again.
 */
export function planProfiles<T extends PlanInput>(inputs: T[], config: PlanSettings, nowMs: number, runSize = inputs.length, memo?: LabelMemo): Plan<T> {
  const problems = new Set<string>();
  const warnings: string[] = [];
  const profiles: PlannedProfile<T>[] = [];
  for (const input of inputs) {
    if (input.format === 'jfr') {
      const labels = mergeLabels({}, config.externalLabels);
      for (const p of labelProblems(labels, { legacyNames: config.legacyLabelNames })) problems.add(p);
      profiles.push({ input, labels });
      continue;
    }
    const derived = deriveProfileName(input.shape, input.name);
    // Labels of its kind, unless its own labels or --profile-name make them its own.
    const kind = input.ownLabels === undefined && config.profileName === undefined ? derived : undefined;
    const known = kind === undefined ? undefined : memo?.get(input, kind);
    const labels = known ?? seriesLabels(input, derived, config, runSize, problems, warnings);
    if (labels === undefined) continue;
    if (kind !== undefined && !known && problems.size === 0 && warnings.length === 0) memo?.set(input, kind, labels);
    if (input.storedSampleCount === 0) {
      const none = input.sampleCount === 0 ? 'the profile has no samples' : `the profile has no samples the server keeps (all ${input.sampleCount} are zero or negative)`;
      if (config.strict) problems.add(`${input.name}: ${none}: the server answers 200 and stores nothing (--strict)`);
      else warnings.push(`${input.name}: ${none}: the server answers 200 and stores nothing`);
    }
    for (const limit of limitWarnings(input, labels, config.overrideTimestamp, nowMs)) (config.strict ? problems.add(`${input.name}: ${limit} (--strict)`) : warnings.push(`${input.name}: ${limit}`));
    profiles.push({ input, labels });
  }
  if (profiles.some((p) => !p.labels[SERVICE_LABEL]))
    warnings.push(NO_SERVICE_NAME);
  return { profiles, problems: [...problems], warnings };
}

/** An input's labels, with their problems and warnings; undefined when it has no `__name__` (a problem). */
function seriesLabels(input: PlanInput, derived: string | undefined, config: PlanSettings, runSize: number, problems: Set<string>, warnings: string[]): Labels | undefined {
  const own: Labels = { [DELTA_LABEL]: DELTA_DEFAULT };
  const name = profileName(input.name, input.ownLabels?.[NAME_LABEL] ?? derived, config.profileName, runSize, warnings);
  if (name) own[NAME_LABEL] = name;
  for (const [k, v] of Object.entries(input.ownLabels ?? {})) if (k !== NAME_LABEL) own[k] = v;
  const labels = mergeLabels(own, config.externalLabels);
  if (!labels[NAME_LABEL]) {
    problems.add(`${input.name}: cannot tell the profile type from its sample types (${input.shape.sampleTypes.join(', ')}); pass --profile-name (e.g. ${suggestName(input)})`);
    return undefined;
  }
  const opts = { legacyNames: config.legacyLabelNames };
  for (const p of labelProblems(labels, opts)) problems.add(p);
  const count = labelCountProblem(labels, input.sampleLabelKeySets);
  if (count) problems.add(`${input.name}: ${count}`);
  const fromSamples = sampleLabelProblems(labels, input, opts);
  for (const p of fromSamples.problems) problems.add(`${input.name}: ${p}`);
  for (const w of fromSamples.warnings) warnings.push(`${input.name}: ${w}`);
  return labels;
}

/**
 * Labels that inputs of one kind get, worked out once a run. A bulk run's inputs mostly come from one
 * profiler and share their sample-label facts (SharedFacts gives them the same objects), so they get the
 * same labels, with the same problems: only labels with none, of inputs with no labels of their own and
 * no --profile-name, are kept, by those facts' identity and the profile type. Weakly: facts that no
 * other input shares (SharedFacts keeps none past its bounds) are let go with their input.
 */
export class LabelMemo {
  readonly #kinds = new WeakMap<ReadonlySet<string>, SampleLabelFacts & { byName: Map<string, Labels> }>();

  get(input: PlanInput, name: string): Labels | undefined {
    const kind = this.#kinds.get(input.sampleLabelKeys);
    return kind && sameSampleLabelFacts(kind, input) ? kind.byName.get(name) : undefined;
  }

  /** Frozen, as shared labels are: the same object goes to every input of the kind. */
  set(input: PlanInput, name: string, labels: Labels): void {
    let kind = this.#kinds.get(input.sampleLabelKeys);
    if (kind === undefined) {
      const { sampleLabelKeys, sampleLabelKeySets, sampleLabelValueBytes, sampleLabelExamples } = input;
      this.#kinds.set(sampleLabelKeys, (kind = { sampleLabelKeys, sampleLabelKeySets, sampleLabelValueBytes, sampleLabelExamples, byName: new Map() }));
    }
    if (sameSampleLabelFacts(kind, input)) kind.byName.set(name, Object.freeze(labels));
  }
}

/**
 * `__name__`: from the sample types when they tell it; --profile-name fills in where they do not, and
 * replaces a type they do tell only for a lone profile or with --force-profile-name — never silently.
 */
function profileName(input: string, derived: string | undefined, chosen: PlanSettings['profileName'], runSize: number, warnings: string[]): string | undefined {
  if (!chosen || chosen.value === derived) return derived ?? chosen?.value;
  if (!derived) return chosen.value;
  if (chosen.force || runSize === 1) {
    warnings.push(`${input}: its sample types say ${derived}, sent as ${chosen.value} because of --profile-name`);
    return chosen.value;
  }
  warnings.push(`${input}: sent as ${derived}, as its sample types say: with several profiles --profile-name ${chosen.value} applies only to those whose type cannot be told (--force-profile-name applies it to all)`);
  return derived;
}

/** The server's default limits (PROTOCOL.md §3): each is a sure rejection. */
function limitWarnings(input: PlanInput, labels: Labels, overrideTimestamp: boolean, nowMs: number): string[] {
  const out: string[] = [];
  // The server refuses on the decompressed bytes (before parsing) and again on the re-encoded size.
  const size = Math.max(input.uncompressedSize, input.encodedSize);
  const burst = rateLimitedSize(input, labels);
  if (size > SERVER_LIMITS.maxProfileBytes)
    out.push(`${(size / MiB).toFixed(1)} MiB uncompressed, above the server's 4 MiB limit: it will be refused (400)`);
  else if (burst > SERVER_LIMITS.rateLimitBurstBytes)
    out.push(`${(burst / MiB).toFixed(1)} MiB uncompressed, above the server's 2 MiB rate-limit burst (counted as it counts: re-encoded, with its labels): it will be refused (429) on every try`);
  if (input.sampleCount > SERVER_LIMITS.maxSamples)
    out.push(`${input.sampleCount} samples, above the server's limit of ${SERVER_LIMITS.maxSamples}: it will be refused (400)`);
  if (!overrideTimestamp && input.timeNanos !== 0n) {
    const atMs = Number(input.timeNanos / 1_000_000n);
    if (atMs < nowMs - SERVER_LIMITS.ingestionWindowPastMs || atMs > nowMs + SERVER_LIMITS.ingestionWindowFutureMs)
      out.push(`time_nanos ${new Date(atMs).toISOString()} is outside the server's ingestion window (the last hour): it will be refused (400); use --override-timestamp`);
  }
  return out;
}

function suggestName(input: PlanInput): string {
  const t = input.shape.sampleTypes;
  return t.includes('contentions') || t.includes('delay') ? 'mutex or block' : 'process_cpu';
}

/**
 * What the server's rate limiter charges for one profile (pkg/distributor pushSeries): the bytes of the
 * label names and values, with the `service_name="unknown_service"` it adds when there is none, plus the
 * profile as vtproto re-encodes it (`SizeVT`), not the bytes sent.
 */
export function rateLimitedSize(input: Pick<ProfileFacts, 'encodedSize'>, labels: Labels = {}): number {
  let bytes = input.encodedSize;
  for (const [name, value] of Object.entries(labels)) bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  if (!labels[SERVICE_LABEL]) bytes += SERVICE_LABEL.length + 'unknown_service'.length;
  return bytes;
}

/**
 * True when a 429 for this profile cannot turn into a 200 by waiting. Without the labels (a caller that
 * has only the facts) it counts the profile alone, so it may miss a profile just under 2 MiB that its
 * labels push over; it never calls a profile that fits "over".
 */
export function overRateLimitBurst(input: Pick<ProfileFacts, 'encodedSize'>, labels?: Labels): boolean {
  return (labels ? rateLimitedSize(input, labels) : input.encodedSize) > SERVER_LIMITS.rateLimitBurstBytes;
}
