/** Why bytes are not a profile the server would take, and how the server itself answers it. */

/** How the real server answers a profile it refuses (Connect code, and its exact message). */
export interface ServerRefusal {
  code: 'invalid_argument' | 'unknown';
  /** `labels` is the request's labels as the server prints them (`{a="x", b="y"}`), `id` the RawSample ID. */
  message(ctx: { labels: string; id: string }): string;
}

/**
 * What facts a refused profile still gave: the server checks its size and sample count before the
 * structural rules, so the receiver needs them to answer in the server's order.
 */
export interface PartialFacts {
  uncompressedSize: number;
  encodedSize: number;
  sampleCount: number;
}

/** Why bytes are not a profile the server would take; the caller names the input. */
export class ProfileError extends Error {
  override name = 'ProfileError';
  /** How the server refuses it; absent only for the local gzip-bomb guard. */
  readonly server?: ServerRefusal;
  /** Set when the profile parsed and was refused by a ValidateProfile rule. */
  readonly partial?: PartialFacts;
  /** Decompressed bytes, when decompressing worked: the server's 4 MiB check comes before it parses. */
  readonly uncompressedSize?: number;
  /** `empty-profile` is the one rule the server applies before its size and sample-count limits. */
  readonly rule?: 'empty-profile';
  constructor(message: string, options?: { cause?: unknown; server?: ServerRefusal; partial?: PartialFacts; uncompressedSize?: number; rule?: 'empty-profile' }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.server) this.server = options.server;
    if (options?.partial) this.partial = options.partial;
    const size = options?.uncompressedSize ?? options?.partial?.uncompressedSize;
    if (size !== undefined) this.uncompressedSize = size;
    if (options?.rule) this.rule = options.rule;
  }
}

export const refuse400 = (text: string): ServerRefusal => ({ code: 'invalid_argument', message: () => text });
export const unknown500 = (text: string): ServerRefusal => ({ code: 'unknown', message: () => text });
/** A Go panic inside pushSeries, recovered into a plain error (grafana/pyroscope pkg/distributor: pushSeries recovers panics): 500, retried by clients. */
export const panic500 = (text: string): ServerRefusal => ({ code: 'unknown', message: ({ id }) => `push series with index 0 and id ${id} failed: runtime error: ${text}` });
