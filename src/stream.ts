/** What reading a stream to its end gave: at most `keep` bytes of it, and how long it really was. */
export interface StreamRead {
  bytes: Buffer;
  total: number;
}

/**
 * The one stream reader (stdin, a request body, an answer's body): reads to the end so the other side
 * is never left blocked, keeps the first `keep` bytes, and stops waiting when `signal` aborts.
 */
export async function readStream(stream: AsyncIterable<unknown>, opts: { keep?: number; signal?: AbortSignal } = {}): Promise<StreamRead> {
  const keep = opts.keep ?? Infinity;
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  const abort = opts.signal && abortPromise(opts.signal);
  const iterator = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = iterator.next();
      const step = (abort ? await Promise.race([next, abort.promise]) : await next) as IteratorResult<unknown>;
      if (step.done) break;
      const chunk = typeof step.value === 'string' ? Buffer.from(step.value) : Buffer.from(step.value as Uint8Array);
      total += chunk.length;
      if (kept < keep) {
        const part = chunk.length <= keep - kept ? chunk : chunk.subarray(0, keep - kept);
        chunks.push(part);
        kept += part.length;
      }
    }
  } finally {
    abort?.dispose();
    if (opts.signal?.aborted) await iterator.return?.();
  }
  return { bytes: Buffer.concat(chunks), total };
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
