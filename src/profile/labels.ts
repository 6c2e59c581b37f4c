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

const LEGACY_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

export interface LabelCheckOptions {
  /** Only `[A-Za-z0-9_.]` names, as servers before v2 and Alloy's client-side check require. */
  legacyNames: boolean;
}

/** Every problem the server would answer 400 for, one line each; empty when the labels are good. */
export function labelProblems(labels: Labels, opts: LabelCheckOptions): string[] {
  const problems: string[] = [];
  const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
  for (const [name, value] of Object.entries(labels)) {
    if (name === '') problems.push(`label with an empty name (value "${value}")`);
    else if (!name.isWellFormed()) problems.push(`label name ${JSON.stringify(name)} is not valid UTF-8`);
    else if (opts.legacyNames && !LEGACY_NAME.test(name))
      problems.push(`label name "${name}" has characters outside [A-Za-z0-9_.] (drop --strict-label-names for servers ≥ v2)`);
    else if (utf8(name) > SERVER_LIMITS.maxLabelNameBytes)
      problems.push(`label name "${name.slice(0, 40)}…" is ${utf8(name)} bytes; the server allows ${SERVER_LIMITS.maxLabelNameBytes}`);
    if (!value.isWellFormed()) problems.push(`label ${name}: value is not valid UTF-8`);
    else if (utf8(value) > SERVER_LIMITS.maxLabelValueBytes)
      problems.push(`label ${name}: value is ${utf8(value)} bytes; the server allows ${SERVER_LIMITS.maxLabelValueBytes}`);
  }
  return problems;
}

/** The server counts the profile's sample label keys with the series labels against one limit. */
export function labelCountProblem(labels: Labels, sampleLabelKeys: ReadonlySet<string>): string | undefined {
  const names = new Set([...Object.keys(labels), ...sampleLabelKeys]);
  if (names.size <= SERVER_LIMITS.maxLabelNames) return undefined;
  const own = Object.keys(labels).length;
  return `${names.size} label names (${own} series labels, ${names.size - own} more from sample labels); the server allows ${SERVER_LIMITS.maxLabelNames}`;
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
