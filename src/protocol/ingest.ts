import { type Labels, NAME_LABEL } from '../profile/labels.js';
import type { ProfileFacts } from '../profile/pprof.js';
import { CONNECT_CODES, parseConnectError } from './connect.js';
import { type PreparedRequest, type Protocol, type ProfileToSend, mediaType } from './protocol.js';
import { ingestLabels, ingestName, ingestLabelProblems } from './ingest-name.js';
import { INGEST_PATH, ingestTimes, ingestQuery, multipartBody } from './ingest-request.js';
import { prepareJfr } from './ingest-jfr.js';

/**
 * The legacy HTTP API, `POST /ingest` (PROTOCOL.md §6), as grafana/pyroscope v2 serves it:
 * pkg/ingester/pyroscope/ingest_handler.go (query parameters, formats, answers),
 * api/model/labelset/labelset.go (the `name` parameter), pkg/og/convert/pprof/profile.go (pprof: raw or
 * multipart, the labels it stores), pkg/og/convert/jfr/profile.go and grafana/jfr-parser pprof/pyroscope
 * (JFR), pkg/og/util/attime (from/until). JFR is sent exactly as pyroscope-java's PyroscopeExporter does.
 */
export { INGEST_PATH, ingestTimes, multipartBody } from './ingest-request.js';
export { SPY_LABEL, SPY_NAME, UNKNOWN_SERVICE, ingestLabelProblems, ingestName, parseIngestName } from './ingest-name.js';
export { jfrTimeRange, prepareJfr } from './ingest-jfr.js';

/** The server's default sample type configuration's display names (pkg/og/storage/tree/pprof.go). */
const DEFAULT_DISPLAY_NAMES: Readonly<Record<string, string>> = { samples: 'cpu', goroutine: 'goroutines', contentions: 'mutex_count', delay: 'mutex_duration' };

/**
 * `__name__` as the server gives a pprof profile sent to /ingest (pkg/og/convert/pprof RawProfile.metricName):
 * `wall` if a sample type is `wall`; otherwise the first sample type whose name (or display name, from
 * `sample_type_config` or the server's defaults) contains cpu, alloc_/inuse_/space/objects, mutex_, block_
 * or goroutines; otherwise the last sample type's (display) name.
 */
export function ingestProfileName(sampleTypes: readonly string[], displayNames?: Readonly<Record<string, string>>): string {
  if (sampleTypes.includes('wall')) return 'wall';
  const names = displayNames ?? DEFAULT_DISPLAY_NAMES;
  let st = '';
  for (const type of sampleTypes) {
    st = Object.hasOwn(names, type) && names[type] ? (names[type] as string) : type;
    if (st.includes('cpu')) return 'process_cpu';
    if (st.includes('alloc_') || st.includes('inuse_') || st === 'space' || st === 'objects') return 'memory';
    if (st.includes('mutex_')) return 'mutex';
    if (st.includes('block_')) return 'block';
    if (st.includes('goroutines')) return 'goroutines';
  }
  return st;
}

/** How a pprof profile goes to /ingest so that the server stores `__name__` as the Push API would. */
export type PprofShape = { kind: 'raw' } | { kind: 'multipart'; sampleTypeConfig: Record<string, { 'display-name': string }> };

/**
 * The raw body (`format=pprof`) when the server's own naming gives `__name__`; otherwise the multipart form
 * with a `sample_type_config` that names every sample type `__name__` (what pyroscope-go sends), when that
 * gives it; otherwise undefined (the profile cannot keep its `__name__` over /ingest).
 */
export function pprofShape(sampleTypes: readonly string[], name: string | undefined): PprofShape | undefined {
  if (name === undefined || name === '' || ingestProfileName(sampleTypes) === name) return { kind: 'raw' };
  const sampleTypeConfig = Object.fromEntries(sampleTypes.map((t) => [t, { 'display-name': name }]));
  const names = Object.fromEntries(sampleTypes.map((t) => [t, name]));
  return sampleTypes.length > 0 && ingestProfileName(sampleTypes, names) === name ? { kind: 'multipart', sampleTypeConfig } : undefined;
}

/**
 * Every reason a pprof profile with these labels cannot be sent to /ingest as the Push API would store it,
 * one line each: call it for each profile and each endpoint whose protocol is `ingest`, before sending.
 */
export function ingestProblems(labels: Labels, facts: Pick<ProfileFacts, 'shape'>): string[] {
  const problems = ingestLabelProblems(labels);
  const name = labels[NAME_LABEL];
  if (!pprofShape(facts.shape.sampleTypes, name))
    problems.push(
      `label __name__="${name}": over /ingest the server names this profile "${ingestProfileName(facts.shape.sampleTypes)}" from its sample types (${facts.shape.sampleTypes.join(', ')}), whatever is sent; use --protocol push`,
    );
  return problems;
}


/** A pprof profile's request: `format=pprof` and the bytes as the body, or pyroscope-go's multipart form. */
export function prepareIngest({ labels, bytes, id, facts, nowMs }: ProfileToSend): PreparedRequest {
  // Checked before sending (protocolProblems); never send a `name` the server would read differently.
  const problems = ingestProblems(labels, facts);
  if (problems.length > 0) throw new Error(`not sent over /ingest: ${problems.join('; ')}`);
  const { spyName } = ingestLabels(labels);
  const { from, until } = ingestTimes(facts, nowMs);
  const shape = pprofShape(facts.shape.sampleTypes, labels[NAME_LABEL]) ?? { kind: 'raw' };
  const query: Array<[string, string]> = [
    ['name', ingestName(labels)],
    ['from', String(from)],
    ['until', String(until)],
  ];
  if (shape.kind === 'raw') {
    // The handler tells the format by `format` before the content type; the server gunzips a gzipped body itself.
    query.push(['format', 'pprof'], ['spyName', spyName]);
    return { path: `${INGEST_PATH}?${ingestQuery(query)}`, headers: { 'content-type': 'application/octet-stream' }, body: bytes };
  }
  // No `format`: the handler reads a multipart/form-data body as pprof (with `format=pprof` it would not).
  query.push(['spyName', spyName]);
  const form = multipartBody(
    [
      { name: 'profile', filename: 'profile.pprof', contentType: 'application/octet-stream', data: bytes },
      { name: 'sample_type_config', filename: 'sample_type_config.json', contentType: 'application/json', data: Buffer.from(JSON.stringify(shape.sampleTypeConfig)) },
    ],
    id,
  );
  return { path: `${INGEST_PATH}?${ingestQuery(query)}`, headers: { 'content-type': form.contentType }, body: form.body };
}


/**
 * The legacy API's answers (ingest_handler.go): 200 with no body is stored; errors are JSON
 * `{"code","message"}` whose code is the server's own mapping of the status (422 → "unknown"), so a code is
 * kept only where it agrees with the status, and the status decides retries (400/413/422 never, 429 by the
 * retry rules, 5xx yes).
 */
export function readIngestAnswer(status: number, contentType: string | undefined, body: string): { ok: true } | { ok: false; code?: string; detail: string } {
  const type = mediaType(contentType);
  if (status >= 200 && status < 300) {
    // Grafana's UI answers 200 text/html for any path it does not know: nothing was stored.
    if (type === 'text/html') return { ok: false, detail: 'not an /ingest answer (content type text/html; Pyroscope answers 200 with no body), nothing was stored: is --url the Pyroscope server, not Grafana?' };
    return { ok: true };
  }
  const err = parseConnectError(contentType, body);
  if (!err) return { ok: false, detail: body };
  return CONNECT_CODES[err.code].status === status ? { ok: false, code: err.code, detail: err.message } : { ok: false, detail: err.message };
}

/** The legacy HTTP API for pprof profiles (`--protocol ingest`). */
export const INGEST_API: Protocol = {
  name: 'ingest',
  path: INGEST_PATH,
  prepare: (p) => (p.format === 'jfr' ? prepareJfr({ labels: p.labels, bytes: p.bytes, nowMs: p.nowMs, overrideTimestamp: p.overrideTimestamp, id: p.id }) : prepareIngest(p)),
  // The legacy API has no timeout header.
  attemptHeaders: () => ({}),
  readAnswer: readIngestAnswer,
};
