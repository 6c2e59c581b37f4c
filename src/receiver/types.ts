/** What the receiver records and what it is given: shared by its Push API and /ingest handlers. */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/** The largest request body taken (the server's own limit is far lower per profile): 413 above it. */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/** One profile as the receiver got it. */
export interface ReceivedProfile {
  /** Which API it came by: the Connect Push API, or the legacy `/ingest`. */
  protocol: 'push' | 'ingest';
  /**
   * The series labels the server stores: as sent (Push API), or derived as the server derives them from
   * /ingest's `name`, `spyName` and the profile (for JFR without `__name__`/`jfr_event`, which come from
   * each event of the recording).
   */
  labels: Record<string, string>;
  /** Exactly the bytes of RawSample.raw_profile, of /ingest's body or `profile` part, or of the JFR (`jfr` part). */
  rawProfile: Uint8Array;
  /** RawSample.ID; empty for /ingest. */
  id: string;
  /** Of a pprof profile; empty for JFR. */
  sampleTypes: string[];
  headers: IncomingHttpHeaders;
  httpVersion: string;
  /** /ingest: what the profile was. */
  format?: 'pprof' | 'jfr';
  /** /ingest: the query parameters as the server reads them (the first of each name). */
  query?: Record<string, string>;
  /** /ingest: whether the body was a multipart form. */
  multipart?: boolean;
  /** /ingest pprof: the `sample_type_config` part, parsed. */
  sampleTypeConfig?: Record<string, { 'display-name'?: string }>;
  /** /ingest JFR: the `labels` part (a LabelsSnapshot, gzipped or not) exactly as received. */
  jfrLabels?: Uint8Array;
}

/** A reply the receiver sends instead of its own, to play a failing server in tests and demos. */
export interface ScriptedReply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface ReceiverOptions {
  /** Write each accepted profile to this directory. */
  outDir?: string;
  /** One line per accepted profile (the CLI prints them). */
  onLine?: (line: string) => void;
  /**
   * Keep every accepted profile in `received` (tests read it; the default). `pyro-push receive` turns it
   * off: a receiver left running would otherwise hold every profile it was ever sent.
   */
  keepReceived?: boolean;
  /** Consulted before each request is handled: return a reply to send it instead. */
  script?: (req: { headers: IncomingHttpHeaders; count: number }) => ScriptedReply | undefined;
}

export type Req = IncomingMessage | Http2ServerRequest;
export type Res = ServerResponse | Http2ServerResponse;
