import type { Labels } from '../profile/labels.js';
import type { ProfileFacts } from '../profile/pprof.js';

/** The facts of a checked profile that sending uses; those only planning uses are not kept that long. */
export type SendFacts = Pick<ProfileFacts, 'gzipped' | 'size' | 'encodedSize' | 'shape' | 'timeNanos' | 'durationNanos'>;

/** What a protocol is given to build one profile's request. */
export interface ProfileToSend {
  labels: Labels;
  /** The profile as it is sent (pprof, gzipped or raw). */
  bytes: Uint8Array;
  /** A fresh id per profile and endpoint (the Push API's RawSample.ID). */
  id: string;
  /** What a protocol may need to know of the profile besides its bytes (/ingest: its type and time range). */
  facts: SendFacts;
  nowMs: number;
  /** A pprof profile, or a JFR recording (only /ingest takes one). */
  format: 'pprof' | 'jfr';
  /** --override-timestamp: a JFR recording keeps its bytes, so its time range is moved to now instead. */
  overrideTimestamp: boolean;
}

/** One profile's request, ready to send: the same bytes on every attempt. */
export interface PreparedRequest {
  /** Appended to the endpoint's base URL; may carry a query. */
  path: string;
  headers: Readonly<Record<string, string>>;
  body: Uint8Array;
}

/** What an answer that is not a redirect means, in the protocol's own terms. */
export type Answer = { ok: true } | { ok: false; /** The protocol's error code (Connect), when it gave one. */ code?: string; detail: string };

/**
 * What differs between the ways of sending a profile (the Connect Push API today, the legacy /ingest
 * next): the request and the meaning of the answer. Everything else (headers from the config,
 * credentials, redirects, timeouts, retries) is the protocol-neutral attempt's in delivery/.
 */
export interface Protocol {
  readonly name: string;
  /** The path requests go to, as messages name it (without a query). */
  readonly path: string;
  prepare(profile: ProfileToSend): PreparedRequest;
  /** Headers that depend on the attempt: the time the server may spend. */
  attemptHeaders(timeoutMs: number): Record<string, string>;
  readAnswer(status: number, contentType: string | undefined, body: string): Answer;
}

/** `application/proto; charset=…` → `application/proto`: what an answer's content type names. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
