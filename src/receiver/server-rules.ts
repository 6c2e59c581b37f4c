/** The server's own checks of a pushed profile and their exact wording (grafana/pyroscope pkg/validation, distributor). */
import { NAME_LABEL, SERVICE_LABEL } from '../profile/labels.js';
import { rateLimitedSize } from '../profile/plan.js';
import { type ProfileFacts, ProfileError, decodeProfile } from '../profile/pprof.js';
import { SERVER_LIMITS } from '../profile/server-limits.js';
import type { ServerResponse } from 'node:http';
import { CONNECT_CODES, type ConnectCode } from '../protocol/connect.js';
import type { Res } from './types.js';

export type Pair = { name: string; value: string };
export type Verdict = { facts: ProfileFacts } | { refused: { code: ConnectCode; message: string } };

/**
 * The server's answer for one profile, in its order (grafana/pyroscope pkg/distributor/distributor.go, then pkg/validation/validate.go): decompressed size,
 * parsing, the rate-limit burst, ValidateProfile (the sender's own decodeProfile), then ValidateLabels per
 * group of samples. Not applied: the ingestion time window (real profiles kept as test data are old) and
 * the built-in relabel rules.
 */
export function checkProfile(bytes: Uint8Array, sent: Pair[], id: string): Verdict {
  const refused = (code: ConnectCode, message: string): Verdict => ({ refused: { code, message } });
  const { series, shown, labels, unlabelledProblem } = seriesRules(sent);
  const sizeLimit = (size: number | undefined) =>
    size !== undefined && size > SERVER_LIMITS.maxProfileBytes ? refused('invalid_argument', `uncompressed profile payload size exceeds limit of ${humanizeBytes(SERVER_LIMITS.maxProfileBytes)}`) : undefined;
  const limits = (f: { encodedSize: number; sampleCount: number }, beforeEmpty: boolean, empty?: Verdict): Verdict | undefined => {
    const charged = rateLimitedSize(f, labels);
    if (charged > SERVER_LIMITS.rateLimitBurstBytes)
      return refused('resource_exhausted', `push rate limit (${humanizeIBytes(SERVER_LIMITS.rateLimitBytes)}) exceeded while adding ${humanizeIBytes(charged)}`);
    if (beforeEmpty && empty) return empty;
    if (f.encodedSize > SERVER_LIMITS.maxProfileBytes)
      return refused('invalid_argument', `the profile with labels '${shown}' exceeds the size limit (max_profile_size_byte, actual: ${f.encodedSize}, limit: ${SERVER_LIMITS.maxProfileBytes})`);
    if (f.sampleCount > SERVER_LIMITS.maxSamples)
      return refused('invalid_argument', `the profile with labels '${shown}' exceeds the samples count limit (max_profile_stacktrace_samples, actual: ${f.sampleCount}, limit: ${SERVER_LIMITS.maxSamples})`);
    return undefined;
  };
  let facts: ProfileFacts;
  try {
    facts = decodeProfile(bytes);
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    const tooBig = sizeLimit(err.uncompressedSize);
    if (tooBig) return tooBig;
    const answer = err.server ? refused(err.server.code, err.server.message({ labels: shown, id })) : refused('invalid_argument', `uncompressed profile payload size exceeds limit of ${humanizeBytes(SERVER_LIMITS.maxProfileBytes)}`);
    if (err.partial) return limits(err.partial, err.rule === 'empty-profile', answer) ?? answer;
    return answer;
  }
  const first = sizeLimit(facts.uncompressedSize) ?? limits(facts, false);
  if (first) return first;
  if (facts.storedSampleCount === 0) return { facts };
  const examples = facts.sampleLabelExamples.length > 0 ? facts.sampleLabelExamples : [[]];
  for (const example of examples) {
    const problem = example.length === 0 ? unlabelledProblem : validateLabels(series, example);
    if (problem) return refused('invalid_argument', problem);
  }
  return { facts };
}

/** What checkProfile makes of a series' labels alone, whatever the profile. */
interface SeriesRules {
  /** The labels with the server's `service_name`. */
  series: Pair[];
  /** As the server's messages show them. */
  shown: string;
  /** As rateLimitedSize counts them. */
  labels: Record<string, string>;
  /** ValidateLabels' answer for a group of samples without labels (most profiles are one such group). */
  unlabelledProblem: string | undefined;
}

/**
 * A receiver is sent the same few label sets again and again: what they give is worked out once per set
 * (sorting, quoting and validating them cost ~2 µs of the ~19 the handler spent on a small push), keyed
 * by the exact pairs in their order (each string length-prefixed, so no two lists share a key).
 * Bounded: a run of many label sets starts it afresh. The pairs kept are copies: a caller may reuse its own.
 */
const rulesBySeries = new Map<string, SeriesRules>();
const RULES_KEPT = 256;

function seriesRules(sent: Pair[]): SeriesRules {
  let key = '';
  for (const { name, value } of sent) key += `${name.length}:${name}${value.length}:${value}`;
  let rules = rulesBySeries.get(key);
  if (rules) return rules;
  const series = withServiceName(sent.map(({ name, value }) => ({ name, value })));
  rules = {
    series,
    shown: labelPairsString(sortByName(series)),
    labels: Object.fromEntries(series.map((p) => [p.name, p.value])),
    unlabelledProblem: validateLabels(series, []),
  };
  if (rulesBySeries.size >= RULES_KEPT) rulesBySeries.clear();
  rulesBySeries.set(key, rules);
  return rules;
}

/** The server adds service_name="unknown_service" when it is missing or empty (pkg/distributor pushSeries). */
export function withServiceName(sent: Pair[]): Pair[] {
  if (sent.some((p) => p.name === SERVICE_LABEL && p.value !== '')) return sent;
  return [...sent, { name: SERVICE_LABEL, value: 'unknown_service' }];
}

export function sortByName(pairs: Pair[]): Pair[] {
  return [...pairs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Go's `LabelPairsString`: `{a="x", b="y"}`, values quoted. */
export function labelPairsString(pairs: Pair[]): string {
  return `{${pairs.map((p) => `${p.name}=${JSON.stringify(p.value)}`).join(', ')}}`;
}

/**
 * pkg/validation ValidateLabels on one group's series: the request labels (an empty value removes every
 * label of that name), plus the group's sample labels the series lacks, with the v2 default rule for names.
 */
export function validateLabels(series: Pair[], sampleLabels: ReadonlyArray<readonly [string, string]>): string | undefined {
  const emptied = new Set(series.filter((p) => p.value === '').map((p) => p.name));
  const ls = series.filter((p) => !emptied.has(p.name));
  const names = new Set(ls.map((p) => p.name));
  for (const [name, value] of sampleLabels) if (!names.has(name) && value !== '') ls.push({ name, value });
  const sorted = sortByName(ls);
  // Only a refusal shows the labels: most profiles pass, and quoting them all cost more than the checks.
  const shown = () => labelPairsString(sorted);
  if (sorted.length > SERVER_LIMITS.maxLabelNames) return `profile series '${shown()}' has ${sorted.length} label names; limit ${SERVER_LIMITS.maxLabelNames}`;
  if (!sorted.some((p) => p.name === NAME_LABEL && p.value !== '')) return `invalid labels '${shown()}' with error: invalid metric name`;
  if (!sorted.some((p) => p.name === SERVICE_LABEL)) return `invalid labels '${shown()}' with error: service name is not provided`;
  let previous: string | undefined;
  for (const { name, value } of sorted) {
    if (Buffer.byteLength(name) > SERVER_LIMITS.maxLabelNameBytes) return `profile with labels '${shown()}' has label name too long: '${name}'`;
    if (Buffer.byteLength(value) > SERVER_LIMITS.maxLabelValueBytes) return `profile with labels '${shown()}' has label value too long: '${value}'`;
    if (name === '' || !name.isWellFormed()) return `invalid labels '${shown()}' with error: invalid label name '${name}'`;
    if (!value.isWellFormed()) return `invalid labels '${shown()}' with error: invalid label value '${value}'`;
    if (name === previous) return `profile with labels '${shown()}' has duplicate label name: '${name}'`;
    previous = name;
  }
  return undefined;
}

/** go-humanize `Bytes` (SI units), as the server prints its size limit: 4194304 → "4.2 MB". */
export function humanizeBytes(n: number): string {
  return humanize(n, 1000, ['B', 'kB', 'MB', 'GB', 'TB']);
}

/** go-humanize `IBytes` (IEC units), as the server prints its rate limit: 4194304 → "4.0 MiB". */
export function humanizeIBytes(n: number): string {
  return humanize(n, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB']);
}

function humanize(n: number, base: number, units: string[]): string {
  if (n < 10) return `${n} B`;
  const e = Math.min(Math.floor(Math.log(n) / Math.log(base)), units.length - 1);
  const value = Math.floor((n / base ** e) * 10 + 0.5) / 10;
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ${units[e]}`;
}

/** A Connect error as connect-go's server writes it. */
export function connectError(res: Res, code: ConnectCode, message: string): void {
  reply(res, CONNECT_CODES[code].status, JSON.stringify({ code, message }), { 'content-type': 'application/json' });
}

export function reply(res: Res, status: number, body: string, headers: Record<string, string>): void {
  // With its length, as Go's net/http sends a small answer (Pyroscope's empty 200 says content-length: 0).
  (res as ServerResponse).writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  (res as ServerResponse).end(body);
}
