/** What reading a stream to its end gave: at most `keep` bytes of it, and how long it really was. */
export interface StreamRead {
  bytes: Buffer;
  total: number;
}

/**
 * The first `keep` bytes of a body given chunk by chunk, and its whole length: what every reader of a
 * body here keeps (a stream to its end, the receiver's request bodies, an attempt's answer). A body of one
 * chunk is taken as it is, not copied.
 */
export class KeptPrefix {
  /** Made with the first chunk: most answers a bulk run reads are empty. */
  #chunks: Buffer[] | undefined;
  #kept = 0;
  #total = 0;

  constructor(private readonly keep = Infinity) {}

  add(chunk: Buffer): void {
    this.#total += chunk.length;
    if (this.#kept >= this.keep) return;
    const part = chunk.length <= this.keep - this.#kept ? chunk : chunk.subarray(0, this.keep - this.#kept);
    (this.#chunks ??= []).push(part);
    this.#kept += part.length;
  }

  read(): StreamRead {
    const chunks = this.#chunks ?? [];
    return { bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.#kept), total: this.#total };
  }
}

/**
 * The one stream reader (stdin, an OAuth2 token answer): reads to the end so the other side is never left
 * blocked, keeps the first `keep` bytes, and stops waiting when `signal` aborts.
 */
export async function readStream(stream: AsyncIterable<unknown>, opts: { keep?: number; signal?: AbortSignal } = {}): Promise<StreamRead> {
  const body = new KeptPrefix(opts.keep);
  const abort = opts.signal && abortPromise(opts.signal);
  const iterator = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = iterator.next();
      const step = (abort ? await Promise.race([next, abort.promise]) : await next) as IteratorResult<unknown>;
      if (step.done) break;
      body.add(typeof step.value === 'string' ? Buffer.from(step.value) : Buffer.from(step.value as Uint8Array));
    }
  } finally {
    abort?.dispose();
    if (opts.signal?.aborted) await iterator.return?.();
  }
  return body.read();
}

function abortPromise(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let onAbort = () => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => {});
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}
