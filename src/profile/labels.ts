import { SERVER_LIMITS } from './server-limits.js';
import { ProblemsError, usageError } from '../errors.js';

export type Labels = Record<string, string>;

export const NAME_LABEL = '__name__';
export const DELTA_LABEL = '__delta__';
export const SERVICE_LABEL = 'service_name';
/**
 * Sent unless a label says otherwise: a one-shot upload of a cumulative Go heap profile is otherwise
 * stored empty on its first upload by the v1 ingester path (PROTOCOL.md §2).
 */
export const DELTA_DEFAULT = 'false';

/** `name=value` from `--label`; an empty value is kept so that it can delete a config label. */
export function parseLabelFlag(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw usageError(`--label "${text}": expected name=value (e.g. --label env=ci)`, 'LABEL');
  // Node reads argv as UTF-8 and replaces bytes that are not with U+FFFD: the label the user meant is lost.
  if (text.includes('\uFFFD'))
    throw usageError(`--label ${JSON.stringify(text)}: not valid UTF-8 (the bytes shown as � are not text); the server refuses it`, 'LABEL');
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** Pairs from repeated flags; the same name twice on one command line is a mistake, not an override. */
export function labelsFromFlags(pairs: Array<[string, string]>): Labels {
  const out: Labels = {};
  const problems: string[] = [];
  for (const [name, value] of pairs) {
    if (Object.hasOwn(out, name)) problems.push(`label ${name} given twice (by --label, --service-name or --profile-name); keep one`);
    out[name] = value;
  }
  if (problems.length > 0) throw new ProblemsError('LABEL', problems);
  return out;
}

/**
 * Alloy's rule: profile labels lose every `__*` name but `__name__` and `__delta__`, then external labels
 * are laid on top (they win), and an external label with an empty value deletes the name.
 */
export function mergeLabels(profile: Labels, external: Labels): Labels {
  const out: Labels = {};
  for (const [name, value] of Object.entries(profile)) {
    if (name.startsWith('__') && name !== NAME_LABEL && name !== DELTA_LABEL) continue;
    out[name] = value;
  }
  for (const [name, value] of Object.entries(external)) {
    if (value === '') delete out[name];
    else out[name] = value;
  }
  return out;
}

export interface LabelCheckOptions {
  /** The rule of servers before v2 (and of Alloy's client-side check): see `legacyNameProblem`. */
  legacyNames: boolean;
}

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const STRICT_HINT = 'drop --strict-label-names for servers ≥ v2';

/**
 * The server's legacy label-name rule (pkg/validation SanitizeLegacyLabelName): bytes of [A-Za-z0-9_.],
 * no digit first; a `.` anywhere, even first, is accepted and becomes `_`. Returns why a name is refused.
 */
export function legacyNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  const first = name.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) return 'it starts with a digit';
  const bad = /[^A-Za-z0-9_.]/.exec(name);
  if (bad) return `it has ${JSON.stringify(bad[0])}; only [A-Za-z0-9_.] are allowed`;
  return undefined;
}

/** What a legacy server renames a valid name to. */
export function legacySanitized(name: string): string {
  return name.replaceAll('.', '_');
}

/** Every problem the server would answer 400 for, one line each; empty when the labels are good. */
/** A line break, tab or other C0/DEL character: it would split or garble the label wherever it is shown. */
const CONTROL = /[\u0000-\u001f\u007f]/;

export function labelProblems(labels: Labels, opts: LabelCheckOptions): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (name === '') problems.push(`label with an empty name (value "${value}")`);
    else if (!name.isWellFormed()) problems.push(`label name ${JSON.stringify(name)} is not valid UTF-8`);
    else if (utf8Bytes(name) > SERVER_LIMITS.maxLabelNameBytes)
      problems.push(`label name "${name.slice(0, 40)}…" is ${utf8Bytes(name)} bytes; the server allows ${SERVER_LIMITS.maxLabelNameBytes}`);
    else if (opts.legacyNames && name !== NAME_LABEL) {
      const why = legacyNameProblem(name);
      if (why) problems.push(`label name "${name}" is refused by servers before v2 ("invalid label name"): ${why} (${STRICT_HINT})`);
    }
    const control = CONTROL.exec(name) ?? CONTROL.exec(value);
    if (control) problems.push(`label ${JSON.stringify(name)}: ${CONTROL.test(name) ? 'name' : 'value'} has a control character (${JSON.stringify(control[0])}); a label is one line of text`);
    if (!value.isWellFormed()) problems.push(`label ${name}: value is not valid UTF-8`);
    else if (utf8Bytes(value) > SERVER_LIMITS.maxLabelValueBytes)
      problems.push(`label ${name}: value is ${utf8Bytes(value)} bytes; the server allows ${SERVER_LIMITS.maxLabelValueBytes}`);
  }
  if (opts.legacyNames) problems.push(...legacyClashes(labels));
  return problems;
}

/**
 * After `.`→`_`, the legacy server merges a renamed label into one of the same name and value, and
 * refuses it when the values differ; names are visited in sorted order, as the server does.
 */
function legacyClashes(labels: Labels): string[] {
  const out: string[] = [];
  const current = new Map(Object.entries(labels));
  for (const name of Object.keys(labels).sort()) {
    if (name === NAME_LABEL || !name.includes('.') || legacyNameProblem(name)) continue;
    const renamed = legacySanitized(name);
    const value = current.get(name) as string;
    current.delete(name);
    const other = current.get(renamed);
    if (other !== undefined && other !== value)
      out.push(`label "${name}" becomes "${renamed}" on servers before v2, which then has two values (${JSON.stringify(other)}, ${JSON.stringify(value)}): "duplicate label name after label name sanitization" (${STRICT_HINT})`);
    else current.set(renamed, value);
  }
  return out;
}

/** The sample-label facts the server turns into series labels (a subset of ProfileFacts). */
export interface SampleLabelFacts {
  sampleLabelKeys: ReadonlySet<string>;
  sampleLabelKeySets: ReadonlyArray<readonly string[]>;
  sampleLabelValueBytes: ReadonlyMap<string, number>;
}

/**
 * Sample labels become series labels where the series has no label of that name (pkg/model/pprofsplit),
 * so their names and values meet the same limits. `problems` are sure refusals; `warnings` are legacy
 * renames that clash only if the values differ, which depends on the samples.
 */
export function sampleLabelProblems(labels: Labels, facts: SampleLabelFacts, opts: LabelCheckOptions): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const promoted = [...facts.sampleLabelKeys].filter((k) => !Object.hasOwn(labels, k)).sort();
  for (const key of promoted) {
    if (key === '') problems.push('a sample label with an empty key: the server refuses it ("invalid label name")');
    else if (utf8Bytes(key) > SERVER_LIMITS.maxLabelNameBytes)
      problems.push(`sample label "${key.slice(0, 40)}…": its name is ${utf8Bytes(key)} bytes; the server allows ${SERVER_LIMITS.maxLabelNameBytes} ("label name too long")`);
    else if (opts.legacyNames) {
      const why = legacyNameProblem(key);
      if (why) problems.push(`sample label "${key}" is refused by servers before v2 ("invalid label name"): ${why} (${STRICT_HINT})`);
      else if (key.includes('.')) {
        const renamed = legacySanitized(key);
        if (Object.hasOwn(labels, renamed) || facts.sampleLabelKeys.has(renamed))
          warnings.push(`sample label "${key}" becomes "${renamed}" on servers before v2, as does another label: refused there ("duplicate label name after label name sanitization") unless both have the same value`);
      }
    }
    const bytes = facts.sampleLabelValueBytes.get(key) ?? 0;
    if (bytes > SERVER_LIMITS.maxLabelValueBytes)
      problems.push(`sample label ${key}: a value is ${bytes} bytes; the server allows ${SERVER_LIMITS.maxLabelValueBytes} ("label value too long")`);
  }
  return { problems, warnings };
}

/**
 * The server validates each group of samples that share their string sample labels as its own series:
 * the series labels (with the `service_name` it adds when missing), plus that group's keys the series
 * does not already have. The largest group must stay within the limit.
 */
export function labelCountProblem(labels: Labels, keySets: ReadonlyArray<readonly string[]>): string | undefined {
  const series = new Set(Object.keys(labels));
  const added = !series.has(SERVICE_LABEL);
  series.add(SERVICE_LABEL);
  let worst: string[] = [];
  for (const keys of keySets) {
    const extra = keys.filter((k) => !series.has(k));
    if (extra.length > worst.length) worst = extra;
  }
  const total = series.size + worst.length;
  if (total <= SERVER_LIMITS.maxLabelNames) return undefined;
  const own = `${series.size} series labels${added ? ', counting the service_name the server adds' : ''}`;
  const more = worst.length === 0 ? '' : `, ${worst.length} more from one group of sample labels (${worst.slice(0, 5).join(', ')}${worst.length > 5 ? ', …' : ''})`;
  return `${total} label names on one series (${own}${more}); the server allows ${SERVER_LIMITS.maxLabelNames}`;
}

/** Stable order for the wire and for output: `__name__` first, then by name. */
export function sortedPairs(labels: Labels): Array<{ name: string; value: string }> {
  return Object.keys(labels)
    .sort((a, b) => (a === NAME_LABEL ? -1 : b === NAME_LABEL ? 1 : a < b ? -1 : a > b ? 1 : 0))
    .map((name) => ({ name, value: labels[name] as string }));
}

export function formatLabels(labels: Labels): string {
  return `{${sortedPairs(labels)
    .map(({ name, value }) => `${name}=${JSON.stringify(value)}`)
    .join(', ')}}`;
}
