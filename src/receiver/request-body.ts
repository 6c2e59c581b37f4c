import { KeptPrefix, type StreamRead } from '../stream.js';
import type { Req } from './types.js';

/**
 * A request's body, as `readStream` (src/stream.ts) reads it — to the end, the first `keep` bytes kept
 * (`KeptPrefix`), the real length counted — but with 'data' and 'end' listeners: the async iterator cost
 * the receiver ~4 µs of its ~23 per small push. A request cut off comes to what it comes to with the
 * iterator: node:http destroys it with an error ('aborted'), which rejects; HTTP/2's compatibility request
 * just ends when its stream closes.
 */
export function readRequestBody(req: Req, keep: number): Promise<StreamRead> {
  return new Promise((resolve, reject) => {
    const body = new KeptPrefix(keep);
    req.on('data', (chunk: Buffer) => body.add(chunk));
    req.on('end', () => resolve(body.read()));
    req.on('error', reject);
  });
}
