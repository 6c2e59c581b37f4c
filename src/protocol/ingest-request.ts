/** What every /ingest request is made of: its path, `from`/`until`, the query, a multipart form. */
import type { ProfileFacts } from '../profile/pprof.js';

export const INGEST_PATH = '/ingest';

/** `from`/`until` in Unix seconds. The server sets a profile's time to `from` when it is 0 or in 1970 (fixTime). */
export function ingestTimes(facts: Pick<ProfileFacts, 'timeNanos' | 'durationNanos'>, nowMs: number): { from: bigint; until: bigint } {
  const start = facts.timeNanos >= YEAR_1971_NS ? facts.timeNanos : BigInt(nowMs) * 1_000_000n;
  const duration = facts.durationNanos > 0n ? facts.durationNanos : 0n;
  return { from: start / 1_000_000_000n, until: (start + duration) / 1_000_000_000n };
}

const YEAR_1971_NS = 31_536_000n * 1_000_000_000n;

/** The query string, parameters in the order given, values percent-encoded (`+` and `;` included). */
export function ingestQuery(params: Array<[string, string]>): string {
  return params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

export interface FormPart {
  name: string;
  filename: string;
  /** Left out when undefined (OkHttp's part of a body without a media type). */
  contentType?: string;
  data: Uint8Array;
}

/**
 * A multipart/form-data body as Go's multipart.Writer (CreateFormFile) and OkHttp's MultipartBody write it:
 * CRLF lines, one Content-Disposition with a filename per part. The boundary is checked not to occur in
 * the data.
 */
export function multipartBody(parts: FormPart[], seed: string): { body: Uint8Array; contentType: string } {
  let boundary = `pyro-push-${seed.replace(/[^A-Za-z0-9-]/g, '')}`;
  const inData = (b: string) => parts.some((p) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength).includes(b));
  for (let n = 1; inData(boundary); n++) boundary = `pyro-push-${seed.replace(/[^A-Za-z0-9-]/g, '')}-${n}`;
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    const head = [`--${boundary}`, `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"`];
    if (part.contentType !== undefined) head.push(`Content-Type: ${part.contentType}`);
    chunks.push(Buffer.from(`${head.join('\r\n')}\r\n\r\n`), part.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
