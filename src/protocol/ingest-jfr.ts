/** A JFR recording to /ingest, exactly as pyroscope-java's PyroscopeExporter uploads it. */
import { gunzipSync } from 'node:zlib';
import { JFR_MAGIC } from '../profile/formats.js';
import { isGzip } from '../profile/pprof.js';
import { type Labels } from '../profile/labels.js';
import type { PreparedRequest } from './protocol.js';
import { ingestLabels, ingestName } from './ingest-name.js';
import { INGEST_PATH, ingestQuery, FormPart, multipartBody } from './ingest-request.js';

export interface JfrToSend {
  /** The profile's labels: `service_name` and tags go into `name`; `__name__` is the server's, per event. */
  labels: Labels;
  /** The recording, gzipped or not (the server gunzips the `jfr` part). */
  bytes: Uint8Array;
  /** The `labels` part: a serialized LabelsSnapshot (jfr_labels.proto), gzipped or not; sent only when not empty. */
  labelsSnapshot?: Uint8Array;
  /** Used when the recording's own start cannot be read, or with `overrideTimestamp`. */
  nowMs: number;
  /** `from`/`until` = now − the recording's duration … now (the server refuses profiles older than an hour). */
  overrideTimestamp?: boolean;
  /** Hz; sent as `sampleRate` (the server's default is 100), the period of CPU/wall samples. */
  sampleRate?: number;
  /** Makes the multipart boundary (a fresh id per profile and endpoint). */
  id: string;
}

/**
 * A JFR recording's request, as pyroscope-java sends it: `POST /ingest?name=…&from=…&until=…&spyName=…
 * [&sampleRate=…]&format=jfr`, a multipart/form-data body with a file part `jfr` (filename "jfr") and,
 * when there are dynamic labels, a file part `labels` (filename "labels", application/x-protobuf).
 * pyroscope-java also sends `units`/`aggregationType`, which the server ignores for JFR (docs: "ignored").
 */
export function prepareJfr({ labels, bytes, labelsSnapshot, nowMs, overrideTimestamp, sampleRate, id }: JfrToSend): PreparedRequest {
  const { spyName } = ingestLabels(labels);
  const recorded = jfrTimeRange(bytes);
  let fromMs: number;
  let untilMs: number;
  if (recorded && !overrideTimestamp) [fromMs, untilMs] = [recorded.startMs, recorded.endMs];
  else [fromMs, untilMs] = [nowMs - (recorded ? recorded.endMs - recorded.startMs : 0), nowMs];
  const query: Array<[string, string]> = [
    ['name', ingestName(labels)],
    ['from', String(Math.floor(fromMs / 1000))],
    ['until', String(Math.floor(untilMs / 1000))],
    ['spyName', spyName],
  ];
  if (sampleRate !== undefined) query.push(['sampleRate', String(Math.round(sampleRate))]);
  query.push(['format', 'jfr']);
  const parts: FormPart[] = [{ name: 'jfr', filename: 'jfr', data: bytes }];
  if (labelsSnapshot && labelsSnapshot.length > 0) parts.push({ name: 'labels', filename: 'labels', contentType: 'application/x-protobuf', data: labelsSnapshot });
  const form = multipartBody(parts, id);
  return { path: `${INGEST_PATH}?${ingestQuery(query)}`, headers: { 'content-type': form.contentType }, body: form.body };
}

const JFR_HEADER_BYTES = 48;

/**
 * The recording's time span from its chunk headers (big-endian: magic, version, chunk size at 8, start
 * nanos at 32, duration nanos at 40): the first chunk's start to the last chunk's end. Undefined when the
 * bytes are not a readable JFR recording.
 */
export function jfrTimeRange(bytes: Uint8Array): { startMs: number; endMs: number } | undefined {
  let raw: Uint8Array;
  try {
    raw = isGzip(bytes) ? gunzipSync(bytes, { maxOutputLength: 1024 * 1024 * 1024 }) : bytes;
  } catch {
    return undefined;
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let start: bigint | undefined;
  let end = 0n;
  for (let at = 0; at + JFR_HEADER_BYTES <= raw.length; ) {
    if (!JFR_MAGIC.every((b, i) => raw[at + i] === b)) break;
    const size = view.getBigInt64(at + 8);
    const chunkStart = view.getBigInt64(at + 32);
    const duration = view.getBigInt64(at + 40);
    start ??= chunkStart;
    if (chunkStart + duration > end) end = chunkStart + duration;
    if (size < JFR_HEADER_BYTES) break;
    at += Number(size);
  }
  if (start === undefined || start <= 0n) return undefined;
  return { startMs: Number(start / 1_000_000n), endMs: Number((end > start ? end : start) / 1_000_000n) };
}
