/**
 * The legacy API's `name` parameter, `app{k=v,k2=v2}`, as grafana/pyroscope reads it
 * (api/model/labelset/labelset.go): what a push's labels become in it, and what cannot be written into it.
 */
import { DELTA_LABEL, type Labels, NAME_LABEL, SERVICE_LABEL } from '../profile/labels.js';

/** `spyName`: the server stores it as the `pyroscope_spy` label ("unknown" when absent). */
export const SPY_NAME = 'pyro-push';
export const SPY_LABEL = 'pyroscope_spy';
/** What the server calls a profile without `service_name`, as the Push API path does. */
export const UNKNOWN_SERVICE = 'unknown_service';
/** Series labels starting with `__` that /ingest keeps (pkg/model IsLabelAllowedForIngestion). */
const ALLOWED_PRIVATE = new Set(['__session_id__']);

/** labelset.IsServiceNameRuneAllowed: the application name before `{`. */
const APP_NAME = /^[A-Za-z0-9_.\-/]+$/;
/** labelset.IsLabelNameRuneAllowed: a tag key. */
const TAG_KEY = /^[A-Za-z0-9_.]+$/;
const APP_CHAR = /[A-Za-z0-9_.\-/]/;
const KEY_CHAR = /[A-Za-z0-9_.]/;
/** Go's strings.TrimSpace set (unicode.IsSpace). */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/** The labels as /ingest carries them: the application name, the tags of `name`, and `spyName`. */
export interface IngestLabels {
  app: string;
  tags: Array<[string, string]>;
  spyName: string;
}

/**
 * Splits labels into what /ingest carries. `service_name` is the application name (the server stores it
 * back as `service_name`); `__name__` is not sent (the server derives it: from the sample types for pprof,
 * per JFR event for JFR); `__delta__` is not sent (the server always stores "false"); `pyroscope_spy`, if
 * given, is the `spyName` (the server adds that label from spyName, so a tag would be a duplicate).
 */
export function ingestLabels(labels: Labels): IngestLabels {
  const tags: Array<[string, string]> = [];
  for (const name of Object.keys(labels).sort()) {
    const value = labels[name] as string;
    if (name === NAME_LABEL || name === DELTA_LABEL || name === SERVICE_LABEL || name === SPY_LABEL || value === '') continue;
    tags.push([name, value]);
  }
  return { app: labels[SERVICE_LABEL] || UNKNOWN_SERVICE, tags, spyName: labels[SPY_LABEL] || SPY_NAME };
}

/** `app{k=v,…}` in the server's Normalized order (tags sorted by name); `app{}` with no tags. */
export function ingestName(labels: Labels): string {
  const { app, tags } = ingestLabels(labels);
  return `${app}{${tags.map(([k, v]) => `${k}=${v}`).join(',')}}`;
}

/**
 * Why these labels cannot be written into `name` so that the server reads back the same labels, one line
 * each (empty when they can). For every protocol-`ingest` endpoint, before anything is sent.
 */
export function ingestLabelProblems(labels: Labels): string[] {
  const problems: string[] = [];
  const service = labels[SERVICE_LABEL];
  if (service && !APP_NAME.test(service))
    problems.push(`label service_name: ${JSON.stringify(service)} has ${JSON.stringify(firstBad(service, APP_CHAR))}, which the /ingest API refuses in the application name (only A-Z a-z 0-9 _ . - /); use --protocol push or rename it`);
  const delta = labels[DELTA_LABEL];
  if (delta !== undefined && delta !== '' && delta !== 'false')
    problems.push(`label __delta__="${delta}": the /ingest API always stores __delta__="false"; use --protocol push`);
  for (const name of Object.keys(labels).sort()) {
    const value = labels[name] as string;
    if (name === NAME_LABEL || name === DELTA_LABEL || name === SERVICE_LABEL || name === SPY_LABEL || value === '') continue;
    if (name.startsWith('__') && !ALLOWED_PRIVATE.has(name)) {
      problems.push(`label ${name}: the /ingest API drops labels starting with "__"; use --protocol push or rename it`);
      continue;
    }
    if (!TAG_KEY.test(name)) {
      const bad = firstBad(name, KEY_CHAR) ?? '';
      problems.push(`label name ${JSON.stringify(name)} has ${JSON.stringify(bad)}: the /ingest API allows only A-Z a-z 0-9 _ . in label names; use --protocol push or rename it`);
    }
    const problem = tagValueProblem(value);
    if (problem) problems.push(`label ${name}: value ${JSON.stringify(value)} ${problem}; use --protocol push or change the value`);
  }
  const spy = labels[SPY_LABEL];
  if (spy !== undefined && !spy.isWellFormed()) problems.push(`label ${SPY_LABEL}: value is not valid UTF-8`);
  return problems;
}

/** labelset.Parse ends a value at `,` or `}` and trims white space; `=` and `{` inside a value are kept. */
function tagValueProblem(value: string): string | undefined {
  if (!value.isWellFormed()) return 'is not valid UTF-8';
  const cut = /[,}]/.exec(value);
  if (cut) return `has ${JSON.stringify(cut[0])}, which ends a value in the /ingest name parameter`;
  if (GO_SPACE.test(value.at(0) ?? '') || GO_SPACE.test(value.at(-1) ?? '')) return 'starts or ends with white space, which the /ingest API trims';
  return undefined;
}

/** A parsed `name` parameter, or why the server answers 400 (`name: <error>`), as labelset.Parse does. */
export function parseIngestName(name: string): { labels: Map<string, string> } | { error: string } {
  const labels = new Map<string, string>();
  let state: 'name' | 'key' | 'value' | 'done' = 'name';
  let key = '';
  let value = '';
  for (const ch of name + '{') {
    if (state === 'name') {
      if (ch !== '{') {
        value += ch;
        continue;
      }
      const app = goTrim(value);
      const err = serviceNameError(app);
      if (err) return { error: `name: ${err}` };
      labels.set(NAME_LABEL, app);
      state = 'key';
    } else if (state === 'key') {
      if (ch === '}') state = 'done';
      else if (ch === '=') {
        state = 'value';
        value = '';
      } else key += ch;
    } else if (state === 'value') {
      if (ch !== ',' && ch !== '}') {
        value += ch;
        continue;
      }
      state = 'key';
      const k = goTrim(key);
      if (k !== NAME_LABEL) {
        const err = labelNameError(k);
        if (err) return { error: `name: ${err}` };
      }
      labels.set(k, goTrim(value));
      key = '';
    }
  }
  return { labels };
}

function goTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && GO_SPACE.test(s[start] as string)) start++;
  while (end > start && GO_SPACE.test(s[end - 1] as string)) end--;
  return s.slice(start, end);
}

function firstBad(s: string, ok: RegExp): string | undefined {
  for (const ch of s) if (!ok.test(ch)) return ch;
  return undefined;
}

/** labelset.ValidateServiceName's errors, worded as Go prints them. */
function serviceNameError(app: string): string | undefined {
  if (app === '') return 'service name is required';
  const bad = firstBad(app, APP_CHAR);
  return bad === undefined ? undefined : `invalid service name: ${app}: character is not allowed: ${goQuote(bad)}`;
}

/** labelset.ValidateLabelName's errors. */
function labelNameError(k: string): string | undefined {
  if (k === '') return 'label name is required';
  const bad = firstBad(k, KEY_CHAR);
  return bad === undefined ? undefined : `invalid label name: ${k}: character is not allowed: ${goQuote(bad)}`;
}

/** Go's %q of a rune, for the characters that matter here. */
function goQuote(ch: string): string {
  if (ch === "'") return "'\\''";
  const json = JSON.stringify(ch).slice(1, -1);
  return `'${json.replace(/\\"/g, '"')}'`;
}
