/** The legacy `/ingest` API as the server answers it: raw, multipart and JFR. */
import { NAME_LABEL, SERVICE_LABEL } from '../profile/labels.js';
import { decodeProfile, isGzip } from '../profile/pprof.js';
import { detectFormat } from '../profile/formats.js';
import { SPY_LABEL, ingestProfileName, parseIngestName } from '../protocol/ingest.js';
import { MAX_REQUEST_BYTES, type ReceivedProfile, type Req, type Res } from './types.js';
import { checkProfile, type Pair, reply } from './server-rules.js';

/** Where the server serves the legacy API (pkg/api RegisterDistributor). */
export const INGEST_PATHS = new Set(['/ingest', '/pyroscope/ingest']);

type IngestAnswer = { status: number; message: string } | { stored: ReceivedProfile } | { stored?: undefined; nothing: string };

/**
 * `/ingest` as grafana/pyroscope's ingest_handler.go answers it: `name` first (400), then the body (413), then
 * the format — `format=jfr` (a multipart form with `jfr` and optional `labels` file parts, or a raw
 * recording), `format=pprof` (the raw profile), or a multipart form (`profile` file part, optional
 * `sample_type_config`) — and then the profile's checks, which /ingest answers 422 (429 for the rate limit).
 * The text formats (folded, lines, trie, tree, speedscope) are not taken: 422.
 */
export async function ingest(req: Req, body: Buffer, total: number, q: URLSearchParams): Promise<IngestAnswer> {
  const parsed = parseIngestName(q.get('name') ?? '');
  if ('error' in parsed) return { status: 400, message: parsed.error };
  if (total > MAX_REQUEST_BYTES) return { status: 413, message: 'request body too large: http: request body too large' };
  const query = Object.fromEntries([...new Set(q.keys())].map((k) => [k, q.get(k) as string]));
  const contentType = req.headers['content-type'] ?? '';
  const format = q.get('format') ?? '';
  const spyName = q.get('spyName') || 'unknown';
  const tagged = parsed.labels;
  const app = tagged.get(NAME_LABEL) as string;
  const base = { protocol: 'ingest' as const, id: '', headers: req.headers, httpVersion: req.httpVersion, query };
  const multipart = contentType.includes('multipart/form-data');
  const textFormat = ['trie', 'tree', 'lines', 'speedscope'].find((f) => f === format) ?? (/^binary\/octet-stream\+(trie|tree)$/.exec(contentType)?.[1]);
  if (textFormat !== undefined || (format !== 'jfr' && format !== 'pprof' && !multipart))
    return { status: 422, message: `format ${JSON.stringify(textFormat ?? (format || 'folded'))}: pyro-push receive takes only pprof and jfr` };

  if (format === 'jfr') {
    let jfr: Uint8Array = body;
    let jfrLabels: Uint8Array | undefined;
    if (multipart) {
      const form = await readForm(body, contentType);
      if ('error' in form) return { status: 422, message: `parsing IngestInput-pprof failed ${form.error}` };
      const part = form.files.get('jfr');
      if (!part || part.bytes.length === 0) return { status: 422, message: 'parsing IngestInput-pprof failed jfr field is required' };
      jfr = part.bytes;
      const labelsPart = form.files.get('labels');
      if (labelsPart && labelsPart.bytes.length > 0) jfrLabels = labelsPart.bytes;
    }
    // The server gunzips the form's parts, not a raw body.
    if (!(detectFormat(jfr) === 'jfr' && (multipart || !isGzip(jfr)))) return { status: 422, message: 'parsing IngestInput-pprof failed not a JFR recording (no "FLR" chunk)' };
    // grafana/jfr-parser pprof/pyroscope Labels: the tags, then pyroscope_spy, __delta__, and the app name as
    // service_name (app_name when a tag is service_name); __name__ and jfr_event come per event.
    const labels: Record<string, string> = {};
    for (const [k, v] of tagged) if (allowedForIngestion(k)) labels[k] = v;
    labels[SPY_LABEL] = spyName;
    labels.__delta__ = 'false';
    labels[Object.hasOwn(labels, SERVICE_LABEL) ? 'app_name' : SERVICE_LABEL] = app;
    return { stored: { ...base, format: 'jfr', multipart, labels, rawProfile: jfr, sampleTypes: [], ...(jfrLabels && { jfrLabels }) } };
  }

  let profile: Uint8Array = body;
  let sampleTypeConfig: Record<string, { 'display-name'?: string }> | undefined;
  if (format !== 'pprof') {
    const form = await readForm(body, contentType);
    const failed = (why: string) => ({ status: 422, message: `parsing IngestInput-pprof failed failed to parse pprof /ingest multipart form ${why}` });
    if ('error' in form) return failed(form.error);
    profile = form.files.get('profile')?.bytes ?? new Uint8Array();
    if ((form.files.get('prev_profile')?.bytes.length ?? 0) > 0) return failed('unsupported client version. Please update github.com/grafana/pyroscope-go to the latest version');
    const config = form.files.get('sample_type_config');
    if (config && config.bytes.length > 0) {
      try {
        sampleTypeConfig = JSON.parse(Buffer.from(config.bytes).toString('utf8')) as Record<string, { 'display-name'?: string }>;
      } catch (err) {
        return failed((err as Error).message);
      }
    }
  }
  if (profile.length === 0) return { nothing: `${app} /ingest with no profile: stored nothing` };
  let sampleTypes: string[] = [];
  try {
    sampleTypes = decodeProfile(profile).shape.sampleTypes;
  } catch {
    // checkProfile answers for it below.
  }
  const displayNames = sampleTypeConfig && Object.fromEntries(Object.entries(sampleTypeConfig).map(([t, c]) => [t, c?.['display-name'] ?? '']));
  // pkg/og/convert/pprof createLabels: __name__ from the sample types, __delta__, pyroscope_spy, service_name
  // (the app name, unless a tag is service_name), then the tags the server allows.
  const pairs: Pair[] = [
    { name: NAME_LABEL, value: ingestProfileName(sampleTypes, displayNames) },
    { name: '__delta__', value: 'false' },
    { name: SPY_LABEL, value: spyName },
  ];
  if (!tagged.has(SERVICE_LABEL)) pairs.push({ name: SERVICE_LABEL, value: app });
  for (const [k, v] of [...tagged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) if (allowedForIngestion(k)) pairs.push({ name: k, value: v });
  const verdict = checkProfile(profile, pairs, '');
  if ('refused' in verdict) {
    const { code, message } = verdict.refused;
    return { status: code === 'resource_exhausted' ? 429 : 422, message: `pushing IngestInput-pprof failed ${code}: ${message}` };
  }
  const labels = Object.fromEntries(pairs.map((p) => [p.name, p.value]));
  if (verdict.facts.storedSampleCount === 0) return { nothing: `${labels[SERVICE_LABEL]} ${labels[NAME_LABEL]} no samples: stored nothing` };
  return {
    stored: { ...base, format: 'pprof', multipart: format !== 'pprof', labels, rawProfile: profile, sampleTypes: verdict.facts.sampleTypeUnits, ...(sampleTypeConfig && { sampleTypeConfig }) },
  };
}

/** pkg/model IsLabelAllowedForIngestion: no `__*` label but `__session_id__`. */
function allowedForIngestion(name: string): boolean {
  return !name.startsWith('__') || name === '__session_id__';
}

type FormFile = { filename: string; contentType: string; bytes: Uint8Array };

/**
 * A multipart/form-data body read with the WHATWG parser Node ships (undici's `Response#formData`). As Go's
 * `ReadForm` does, only parts with a filename are files (the server reads only file parts), first of each name.
 */
async function readForm(body: Buffer, contentType: string): Promise<{ files: Map<string, FormFile> } | { error: string }> {
  if (!/;\s*boundary=/i.test(contentType)) return { error: 'malformed multipart content type header' };
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch (err) {
    return { error: `multipart: ${(err as Error).message}` };
  }
  const files = new Map<string, FormFile>();
  for (const [name, value] of form) {
    if (typeof value === 'string' || files.has(name)) continue;
    files.set(name, { filename: value.name, contentType: value.type, bytes: new Uint8Array(await value.arrayBuffer()) });
  }
  return { files };
}

/** httputil.ErrorWithStatus: JSON `{"code","message"}` (code = the server's HTTPToCode of the status) and a newline. */
export function legacyError(res: Res, status: number, message: string): void {
  const code = status === 400 || status === 413 ? 'invalid_argument' : status === 429 ? 'resource_exhausted' : 'unknown';
  reply(res, status, `${JSON.stringify({ code, message })}\n`, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' });
}
