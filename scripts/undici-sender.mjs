#!/usr/bin/env node
/**
 * `npm run bench`'s reference: the fastest plain Node sender we could write. It POSTs every file of a
 * folder of ready-made PushRequest bodies to `<url>/push.v1.PusherService/Push` over one undici Pool per
 * URL (keep-alive, `--concurrency` connections and requests in flight each; several comma-separated URLs
 * are sent every body, each URL at its own pace), reading each body once, and fails (exit 1) unless every
 * answer is 200. With `--keep <files>,<bytes>` (the bench passes pyro-push's own bounds for the inputs'
 * bytes it keeps from the check to the send, sources/inputs.ts#KEPT_INPUTS_MAX) the first bodies within
 * them are read before anything is sent, as pyro-push has read its inputs by then too, and the others
 * when their turn first comes: read first, 1000 bodies took 0.92–0.94× the time they took read in the
 * sending loop (side by side). It gets the start-up tricks pyro-push has: undici's files rather than
 * its index, and V8's flags as pyro-push sets them (bin/v8-flags.cjs: llhttp's wasm without its
 * optimising tier-up, and the tier-up budget for JavaScript on the same terms, −10–20 ms here too; needs
 * `npm run build` for dist/); and its per-request ones: a small file read synchronously (from the page
 * cache that is microseconds, where fs/promises is four thread-pool round trips), and the answer read
 * through undici's dispatch interface rather than `request()`, which makes each answer a stream.
 *
 *   node scripts/undici-sender.mjs <url>[,<url>…] <folder> [--keep files,bytes] [--concurrency 8] [--ca-file ca.pem] [--http2]
 */
import { readFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
// pyro-push's own start-up flags, from the one place that sets them.
require('../bin/v8-flags.cjs');
const { V8_TUNING } = await import('../dist/cli/v8-tuning.js');
const Dispatcher = require('undici/lib/dispatcher/dispatcher.js');
Object.assign(Dispatcher.prototype, require('undici/lib/api/index.js'));
const Pool = require('undici/lib/dispatcher/pool.js');

const [urlList, folder, ...rest] = process.argv.slice(2);
if (!urlList || !folder) throw new Error('usage: undici-sender.mjs <url>[,<url>…] <folder> [--keep files,bytes] [--concurrency n] [--ca-file file] [--http2]');
const option = (name) => (rest.includes(name) ? rest[rest.indexOf(name) + 1] : undefined);
const concurrency = Number(option('--concurrency') ?? 8);
const caFile = option('--ca-file');
const urls = urlList.split(',');
const ca = caFile && (await readFile(caFile, 'utf8'));
const files = (await readdir(folder)).sort();
// As pyro-push does from 2000 inputs or 3000 requests on (src/cli/push-command.ts): V8's own tier-up
// budget, where optimised code pays (not --optimize-for-size: the sender keeps nothing per file past
// the bodies --keep reads first).
if (files.length >= 2000 || files.length * urls.length >= 3000) V8_TUNING.manyRequests();
/** Each body read once (the first ones now, the others by the first endpoint to need them), and let go when the last endpoint has it. */
const bodies = new Map();
const read = (file) => ({ bytes: readFileSync(join(folder, file)), left: urls.length });
const [keepFiles = 0, keepBytes = 0] = (option('--keep') ?? '0,0').split(',').map(Number);
let keptBytes = 0;
// As pyro-push keeps its inputs' bytes (sources/inputs.ts#ReadSession.keep): one that does not fit is not kept, a later smaller one may be.
for (const file of files) {
  if (bodies.size >= keepFiles) break;
  const entry = read(file);
  if (keptBytes + entry.bytes.length > keepBytes) continue;
  keptBytes += entry.bytes.length;
  bodies.set(file, entry);
}
const body = (file) => {
  let entry = bodies.get(file);
  if (!entry) bodies.set(file, (entry = read(file)));
  if (--entry.left === 0) bodies.delete(file);
  return entry.bytes;
};
let failed = 0;

async function send(url) {
  const path = `${new URL(url).pathname.replace(/\/$/, '')}/push.v1.PusherService/Push`;
  const pool = new Pool(new URL(url).origin, { connections: concurrency, allowH2: rest.includes('--http2'), ...(ca && { connect: { ca } }) });
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const bytes = body(files[next++]);
      const status = await new Promise((resolve, reject) => {
        let statusCode = 0;
        const headers = { 'content-type': 'application/proto', 'connect-protocol-version': '1', 'user-agent': 'bench-undici-sender' };
        pool.dispatch({ method: 'POST', path, body: bytes, headers }, {
          onConnect() {},
          onHeaders(code) {
            statusCode = code;
            return true;
          },
          onData: () => true,
          onComplete: () => resolve(statusCode),
          onError: reject,
        });
      });
      if (status !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.close();
}

await Promise.all(urls.map(send));
if (failed > 0) {
  console.error(`${failed} of ${files.length * urls.length} requests failed`);
  process.exitCode = 1;
}
