/** Profiles from a live service, end to end: fetched from Go's pprof endpoints, labelled, pushed. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { SHARED_PROFILES, runCli } from './helpers.js';

const skip = !existsSync(SHARED_PROFILES) && '../shared/profiles is not here';
const FILES: Record<string, string> = {
  '/debug/pprof/profile': 'go-cpu-small.pb.gz',
  '/debug/pprof/heap': 'go-heap.pb.gz',
  '/debug/pprof/goroutine': 'go-goroutine.pprof',
  '/debug/pprof/mutex': 'go-mutex.pprof',
};
let r: Receiver;
let app: ReturnType<typeof createServer>;
let appUrl: string;
before(async () => {
  r = await startReceiver('127.0.0.1', 0);
  // A Go service's net/http/pprof: the CPU profile answers after `seconds`; block is not enabled (404).
  app = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const file = FILES[url.pathname];
    if (!file) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    const wait = url.pathname.endsWith('/profile') ? Number(url.searchParams.get('seconds') ?? '30') * 1000 : 0;
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(join(SHARED_PROFILES, file))), wait);
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
});
after(async () => {
  app.closeAllConnections();
  await new Promise((resolve) => app.close(resolve));
  await r.close();
});

test('--scrape: each profile fetched, named by its endpoint, __delta__ as Alloy sends it, pushed byte-identical', { skip }, async () => {
  const n = r.received.length;
  const run = await runCli(['--scrape', appUrl, '--profiles', 'cpu,heap,mutex', '--seconds', '1', '--url', r.url, '--service-name', 'app']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const got = r.received.slice(n).map((p) => [p.labels.__name__, p.labels.__delta__]).sort();
  assert.deepEqual(got, [['memory', 'false'], ['mutex', 'false'], ['process_cpu', 'false']]);
  const heap = r.received.slice(n).find((p) => p.labels.__name__ === 'memory');
  assert.deepEqual(Buffer.from(heap?.rawProfile ?? []), readFileSync(join(SHARED_PROFILES, 'go-heap.pb.gz')));
});

test('a target that fails is one line, the others still go out, exit 1', { skip }, async () => {
  const n = r.received.length;
  const run = await runCli(['--scrape', appUrl, '--profiles', 'goroutine,block', '--url', r.url, '--service-name', 'app']);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.deepEqual(r.received.slice(n).map((p) => p.labels.__name__), ['goroutine']);
  assert.match(run.stdout, new RegExp(`^✖ ${appUrl}/debug/pprof/block → ${r.url}: not fetched: ${appUrl}/debug/pprof/block: 404 Not Found`, 'm'));
});

test('an http(s):// input is fetched like a file; mixed with files', { skip }, async () => {
  const n = r.received.length;
  const run = await runCli([`${appUrl}/debug/pprof/goroutine`, join(SHARED_PROFILES, 'go-heap.pb.gz'), '--url', r.url, '--service-name', 'app']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.deepEqual(r.received.slice(n).map((p) => p.labels.__name__).sort(), ['goroutine', 'memory']);
});

test('an unknown profile name and a bad --seconds: exit 2, nothing fetched', async () => {
  const bad = await runCli(['--scrape', 'http://127.0.0.1:1', '--profiles', 'cpu,threads', '--url', r.url]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /threads/);
  const secs = await runCli(['--scrape', 'http://127.0.0.1:1', '--seconds', '0', '--url', r.url]);
  assert.equal(secs.code, 2);
  assert.match(secs.stderr, /--seconds: expected a whole number ≥ 1, got "0"/);
});
