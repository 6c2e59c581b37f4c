import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type * as Undici from 'undici';
import { DEFAULTS } from '../src/config/defaults.js';
import { RunStopped } from '../src/errors.js';
import { decodeProfile } from '../src/profile/pprof.js';
import {
  SCRAPE_MARGIN_MS,
  ScrapeError,
  fetchProfile,
  scrapeAll,
  scrapeTimeoutMs,
  scrapeTls,
} from '../src/sources/scrape.js';
import { type ScrapeTarget, scrapeTargets, targetForUrl } from '../src/sources/scrape-targets.js';
import { createDispatcher } from '../src/transport/dispatcher.js';
import { FIXTURES, SHARED_PROFILES } from './helpers.js';
import { createPki } from './tls-helpers.js';

/** What a Go service with net/http/pprof serves at each path, from real profiles. */
const SERVED = {
  '/debug/pprof/profile': join(SHARED_PROFILES, 'go-cpu-small.pb.gz'),
  '/debug/pprof/heap': join(SHARED_PROFILES, 'go-heap.pb.gz'),
  '/debug/pprof/allocs': join(SHARED_PROFILES, 'go-heap-raw.pb'),
  '/debug/pprof/goroutine': join(SHARED_PROFILES, 'go-goroutine.pprof'),
  '/debug/pprof/mutex': join(SHARED_PROFILES, 'go-mutex.pprof'),
  '/debug/pprof/block': join(SHARED_PROFILES, 'go-block.pprof'),
} as const;
const FALLBACK_CPU = join(FIXTURES, 'cpu.pb.gz');
const missing = (path: string) => (existsSync(path) ? false : `${path} is missing`);
const cpuFile = existsSync(SERVED['/debug/pprof/profile']) ? SERVED['/debug/pprof/profile'] : FALLBACK_CPU;

const dispatcher = () => createDispatcher({ tls: scrapeTls({}), proxy: { mode: 'direct' }, enableHttp2: false }, {});

/**
 * A pprof server as Go's net/http/pprof answers: the CPU endpoint collects `seconds` before it answers;
 * under /bad, /html, /hang, /busy and /huge, the ways a target goes wrong.
 */
function handler(seen: string[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(`${req.method} ${url.pathname}${url.search} ${req.headers['user-agent']?.split('/')[0]} ${req.headers.authorization ?? '-'}`);
    const [, prefix = ''] = /^(\/[a-z]+)?\/debug\/pprof\//.exec(url.pathname) ?? [];
    const path = url.pathname.slice(prefix.length);
    const octets = (file: string) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-content-type-options': 'nosniff' });
      res.end(readFileSync(file));
    };
    if (prefix === '/bad') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      return res.end('404 page not found\n');
    }
    if (prefix === '/html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end('<!DOCTYPE html>\n<html><head><title>Login</title></head><body>Please sign in to continue</body></html>\n');
    }
    if (prefix === '/hang') return; // never answers
    if (prefix === '/busy') {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'x-go-pprof': '1' });
      return res.end('Could not enable CPU profiling: cpu profiling already in use\n');
    }
    if (prefix === '/huge') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(300 * 1024 * 1024) });
      return res.write(Buffer.alloc(1024));
    }
    if (path === '/debug/pprof/profile') {
      const seconds = Number(url.searchParams.get('seconds'));
      const timer = setTimeout(() => octets(cpuFile), seconds * 1000);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    const file = SERVED[path as keyof typeof SERVED];
    if (file && existsSync(file)) return octets(file);
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('404 page not found\n');
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on: a server's, once closed. */
async function refusedPort(): Promise<number> {
  const s = createServer();
  const host = await listen(s);
  await closeServer(s);
  return Number(host.split(':')[1]);
}

const table = (targets: ScrapeTarget[]) => targets.map((t) => ({ profile: t.profile, url: t.url, name: t.name, labels: t.labels, cumulative: t.cumulative, seconds: t.seconds }));

describe('scrapeTargets: --scrape BASE --profiles … --seconds N', () => {
  test('expands to Go’s standard endpoints, each with its __name__ and, as Alloy’s scrape, __delta__="false" on cumulative ones', () => {
    assert.deepEqual(table(scrapeTargets('http://app:6060', ['cpu', 'heap', 'goroutine', 'mutex', 'block'], 15)), [
      { profile: 'cpu', url: 'http://app:6060/debug/pprof/profile?seconds=15', name: 'process_cpu', labels: { __name__: 'process_cpu' }, cumulative: false, seconds: 15 },
      { profile: 'heap', url: 'http://app:6060/debug/pprof/heap', name: 'memory', labels: { __name__: 'memory', __delta__: 'false' }, cumulative: true, seconds: 0 },
      { profile: 'goroutine', url: 'http://app:6060/debug/pprof/goroutine', name: 'goroutine', labels: { __name__: 'goroutine' }, cumulative: false, seconds: 0 },
      { profile: 'mutex', url: 'http://app:6060/debug/pprof/mutex', name: 'mutex', labels: { __name__: 'mutex', __delta__: 'false' }, cumulative: true, seconds: 0 },
      { profile: 'block', url: 'http://app:6060/debug/pprof/block', name: 'block', labels: { __name__: 'block', __delta__: 'false' }, cumulative: true, seconds: 0 },
    ]);
    assert.deepEqual(table(scrapeTargets('https://app.internal', ['allocs'], 5)), [
      { profile: 'allocs', url: 'https://app.internal/debug/pprof/allocs', name: 'memory', labels: { __name__: 'memory', __delta__: 'false' }, cumulative: true, seconds: 0 },
    ]);
    // What --profiles means when it is not given (DEFAULTS, as --help and the README say it): Go profiles all.
    assert.deepEqual(scrapeTargets('http://app:6060', DEFAULTS.scrapeProfiles.split(','), 1).map((t) => t.profile), ['cpu', 'heap', 'goroutine']);
  });

  test('keeps the order given, fetches a name given twice once, and takes a path as a prefix', () => {
    assert.deepEqual(
      scrapeTargets('http://app:6060/', [' goroutine', 'cpu', 'goroutine', ''], 1).map((t) => t.url),
      ['http://app:6060/debug/pprof/goroutine', 'http://app:6060/debug/pprof/profile?seconds=1'],
    );
    assert.deepEqual(scrapeTargets('http://app:6060/debug/pprof/', ['heap'], 1).map((t) => t.url), ['http://app:6060/debug/pprof/heap']);
    assert.deepEqual(scrapeTargets('http://app:6060/admin', ['heap'], 1).map((t) => t.url), ['http://app:6060/admin/debug/pprof/heap']);
  });

  test('credentials in BASE are used but never shown', () => {
    const [t] = scrapeTargets('http://ops:hunter2@app:6060', ['heap'], 1);
    assert.equal(t?.url, 'http://ops:hunter2@app:6060/debug/pprof/heap');
    assert.equal(t?.display, 'http://ops:<secret>@app:6060/debug/pprof/heap');
  });

  test('refuses what cannot be scraped, in one line each', () => {
    const refuses = (base: string, profiles: string[], seconds: number, message: string) => assert.throws(() => scrapeTargets(base, profiles, seconds), { name: 'PyroPushError', message });
    refuses('http://app:6060', ['cpu', 'heapz', 'trace'], 15, '--profiles: unknown profiles "heapz", "trace"; known: cpu, heap, allocs, goroutine, mutex, block');
    refuses('http://app:6060', ['memory'], 15, '--profiles: unknown profile "memory"; known: cpu, heap, allocs, goroutine, mutex, block');
    refuses('http://app:6060', [' ', ''], 15, '--profiles: no profile named; give some of cpu, heap, allocs, goroutine, mutex, block');
    refuses('http://app:6060', ['heap', 'allocs'], 15, '--profiles: heap and allocs are the same Go profile (memory: allocations and in-use, since the process started); give one');
    refuses('http://app:6060', ['cpu'], 0, '--seconds: 0 is not a whole number of seconds of at least 1 (how long the CPU profile is collected)');
    refuses('http://app:6060', ['cpu'], 1.5, '--seconds: 1.5 is not a whole number of seconds of at least 1 (how long the CPU profile is collected)');
    refuses('http://app:6060', ['cpu'], Number.NaN, '--seconds: null is not a whole number of seconds of at least 1 (how long the CPU profile is collected)');
    refuses('http://app:6060/debug/pprof/profile?seconds=10', ['cpu'], 15, '--scrape: "http://app:6060/debug/pprof/profile…" has a query or fragment; give the server\'s base URL');
    refuses('ftp://app:6060', ['cpu'], 15, '--scrape: "ftp://app:6060/" must start with http:// or https://');
    refuses('app:6060', ['cpu'], 15, '--scrape: "app:6060" must start with http:// or https://');
  });
});

describe('targetForUrl: an http(s):// input', () => {
  const one = (url: string) => table([targetForUrl(url)])[0];
  test('a Go path gives __name__ and __delta__ as --scrape does; the CPU endpoint’s seconds (30 when absent, as Go) is the wait', () => {
    assert.deepEqual(one('http://app:6060/debug/pprof/profile?seconds=10'), {
      profile: 'cpu', url: 'http://app:6060/debug/pprof/profile?seconds=10', name: 'process_cpu', labels: { __name__: 'process_cpu' }, cumulative: false, seconds: 10,
    });
    assert.equal(one('http://app:6060/debug/pprof/profile')?.seconds, 30);
    assert.deepEqual(one('http://app:6060/x/debug/pprof/mutex'), {
      profile: 'mutex', url: 'http://app:6060/x/debug/pprof/mutex', name: 'mutex', labels: { __name__: 'mutex', __delta__: 'false' }, cumulative: true, seconds: 0,
    });
    // Go's own delta mode: already a difference over 10 s.
    assert.deepEqual(one('http://app:6060/debug/pprof/allocs?seconds=10'), {
      profile: 'allocs', url: 'http://app:6060/debug/pprof/allocs?seconds=10', name: 'memory', labels: { __name__: 'memory', __delta__: 'false' }, cumulative: false, seconds: 10,
    });
  });

  test('godeltaprof paths are deltas already; other paths leave the name to the sample types', () => {
    assert.deepEqual(one('http://app:6060/debug/pprof/delta_heap'), {
      profile: undefined, url: 'http://app:6060/debug/pprof/delta_heap', name: 'memory', labels: { __name__: 'memory', __delta__: 'false' }, cumulative: false, seconds: 0,
    });
    assert.deepEqual(one('http://app:6060/debug/pprof/delta_block')?.labels, { __name__: 'block', __delta__: 'false' });
    assert.deepEqual(one('https://app/debug/fgprof?seconds=5'), {
      profile: undefined, url: 'https://app/debug/fgprof?seconds=5', name: undefined, labels: {}, cumulative: false, seconds: 5,
    });
  });

  test('each target’s timeout is what it collects plus 10 s, as Alloy’s scrape_timeout', () => {
    const [cpu, heap] = scrapeTargets('http://app:6060', ['cpu', 'heap'], 15) as [ScrapeTarget, ScrapeTarget];
    assert.equal(SCRAPE_MARGIN_MS, 10_000);
    assert.equal(scrapeTimeoutMs(cpu), 25_000);
    assert.equal(scrapeTimeoutMs(heap), 10_000);
    assert.equal(scrapeTimeoutMs(cpu, 500), 15_500);
  });
});

describe('fetching from a live pprof server', () => {
  const seen: string[] = [];
  const server = createServer(handler(seen));
  let host = '';
  let d: Undici.Dispatcher;
  before(async () => {
    host = await listen(server);
    d = dispatcher();
  });
  after(async () => {
    await d.destroy();
    await closeServer(server);
  });

  test('every Go endpoint at once: the very bytes served, in target order, the CPU one after its seconds', { skip: Object.values(SERVED).map(missing).find(Boolean) }, async () => {
    const targets = scrapeTargets(`http://${host}`, ['cpu', 'heap', 'goroutine', 'mutex', 'block'], 1);
    const progress: string[] = [];
    const started = Date.now();
    const results = await scrapeAll(targets, { dispatcher: d, signal: new AbortController().signal, onProgress: (t, phase) => progress.push(`${t.profile} ${phase}`) });
    const elapsed = Date.now() - started;

    assert.deepEqual(results.map((r) => r.target), targets);
    const files = [SERVED['/debug/pprof/profile'], SERVED['/debug/pprof/heap'], SERVED['/debug/pprof/goroutine'], SERVED['/debug/pprof/mutex'], SERVED['/debug/pprof/block']];
    results.forEach((r, i) => {
      assert.ok('bytes' in r, `${r.target.profile}: ${'error' in r ? r.error : ''}`);
      assert.ok(Buffer.from(r.bytes).equals(readFileSync(files[i] as string)), `${r.target.profile}: bytes differ from ${files[i]}`);
      assert.deepEqual(r.facts, decodeProfile(readFileSync(files[i] as string)));
    });
    assert.ok(elapsed >= 1000 && elapsed < 5000, `the CPU profile took its 1 s (${elapsed} ms), the others did not wait for it in turn`);
    // Concurrent: the four instant ones are done before the CPU one has answered.
    assert.deepEqual(progress.slice(0, 5).sort(), ['block requested', 'cpu requested', 'goroutine requested', 'heap requested', 'mutex requested']);
    assert.deepEqual(progress.slice(-2), ['cpu answered', 'cpu done']);
    assert.deepEqual(progress.filter((p) => p.startsWith('heap')), ['heap requested', 'heap answered', 'heap done']);
    assert.ok(seen.includes(`GET /debug/pprof/profile?seconds=1 pyro-push -`));
  });

  test('allocs (raw protobuf) and credentials from the URL as Basic auth', { skip: missing(SERVED['/debug/pprof/allocs']) }, async () => {
    const [allocs] = scrapeTargets(`http://ops:hunter2@${host}`, ['allocs'], 1) as [ScrapeTarget];
    const bytes = await fetchProfile(allocs.url, { dispatcher: d, timeoutMs: 5000, signal: new AbortController().signal });
    assert.ok(Buffer.from(bytes).equals(readFileSync(SERVED['/debug/pprof/allocs'])));
    assert.ok(seen.includes(`GET /debug/pprof/allocs pyro-push Basic ${Buffer.from('ops:hunter2').toString('base64')}`));
  });

  test('a target down, non-200, not pprof or hanging is one line for it; the others still come', { skip: missing(SERVED['/debug/pprof/goroutine']) }, async () => {
    const port = await refusedPort();
    const targets = [
      ...scrapeTargets(`http://${host}/bad`, ['heap'], 1),
      ...scrapeTargets(`http://${host}/html`, ['heap'], 1),
      ...scrapeTargets(`http://${host}/hang`, ['goroutine'], 1),
      ...scrapeTargets(`http://127.0.0.1:${port}`, ['mutex'], 1),
      ...scrapeTargets(`http://${host}/busy`, ['cpu'], 1),
      ...scrapeTargets(`http://${host}/huge`, ['block'], 1),
      ...scrapeTargets(`http://${host}`, ['goroutine'], 1),
    ];
    const started = Date.now();
    const results = await scrapeAll(targets, { dispatcher: d, signal: new AbortController().signal, marginMs: 300 });
    assert.ok(Date.now() - started < 3000);
    assert.deepEqual(
      results.map((r) => ('error' in r ? r.error : `ok ${r.bytes.length}`)),
      [
        `http://${host}/bad/debug/pprof/heap: 404 Not Found`,
        `http://${host}/html/debug/pprof/heap: not a pprof profile (no protobuf message; is it text, or truncated?); the answer is text/html: "<!DOCTYPE html> <html><head><title>Login</title></head><body>Please sign in to c…"`,
        `http://${host}/hang/debug/pprof/goroutine: timed out after 300ms`,
        `http://127.0.0.1:${port}/debug/pprof/mutex: connection refused`,
        `http://${host}/busy/debug/pprof/profile?seconds=1: 500 Internal Server Error (Could not enable CPU profiling: cpu profiling already in use); another CPU profile is being collected (by Alloy, or another run?): try again after it`,
        `http://${host}/huge/debug/pprof/block: the answer is 300 MiB, over the 256 MiB a profile may be`,
        `ok ${readFileSync(SERVED['/debug/pprof/goroutine']).length}`,
      ],
    );
  });

  test('fetchProfile throws a ScrapeError naming the target', async () => {
    const url = `http://${host}/bad/debug/pprof/heap`;
    await assert.rejects(fetchProfile(url, { dispatcher: d, timeoutMs: 5000, signal: new AbortController().signal }), (err: unknown) => {
      assert.ok(err instanceof ScrapeError);
      assert.equal(err.message, `${url}: 404 Not Found`);
      assert.equal(err.target, url);
      assert.equal(err.reason, '404 Not Found');
      return true;
    });
  });

  test('the signal ends a long CPU fetch at once, with its RunStopped', async () => {
    const [cpu] = scrapeTargets(`http://${host}`, ['cpu'], 60) as [ScrapeTarget];
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(new RunStopped('interrupted', 'SIGINT')), 150);
    await assert.rejects(fetchProfile(cpu.url, { dispatcher: d, timeoutMs: scrapeTimeoutMs(cpu), signal: stop.signal }), { name: 'RunStopped', message: 'interrupted (SIGINT)' });
    assert.ok(Date.now() - started < 1000, `stopped after ${Date.now() - started} ms`);
  });

  test('scrapeAll stops every fetch on the signal and rejects with its RunStopped; an aborted signal fetches nothing', async () => {
    const targets = [...scrapeTargets(`http://${host}`, ['cpu'], 60), ...scrapeTargets(`http://${host}/hang`, ['heap'], 1)];
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(new RunStopped('deadline', '--deadline 150ms')), 150);
    await assert.rejects(scrapeAll(targets, { dispatcher: d, signal: stop.signal }), { name: 'RunStopped', message: 'stopped by --deadline 150ms' });
    assert.ok(Date.now() - started < 1000);

    const before = seen.length;
    await assert.rejects(scrapeAll(targets, { dispatcher: d, signal: stop.signal }), { name: 'RunStopped' });
    assert.equal(seen.length, before);
  });
});

describe('scrape TLS: --scrape-ca-file, --scrape-insecure-skip-verify', () => {
  test('scrapeTls builds the settings through resolveTls, naming the scrape’s flag', () => {
    assert.deepEqual(scrapeTls({}), { insecureSkipVerify: false, minVersion: 'TLSv1.2' });
    assert.deepEqual(scrapeTls({ insecureSkipVerify: true }), { insecureSkipVerify: true, minVersion: 'TLSv1.2' });
    assert.throws(() => scrapeTls({ caFile: '/nonexistent/ca.pem' }), { name: 'PyroPushError', code: 'TLS_CONFIG', message: '--scrape-ca-file /nonexistent/ca.pem: no such file or directory' });
    assert.throws(() => scrapeTls({ caFile: SERVED['/debug/pprof/heap'] }), { name: 'PyroPushError', code: 'TLS_CONFIG', message: `--scrape-ca-file ${SERVED['/debug/pprof/heap']}: not a PEM CA certificate` });
  });

  test('https: refused with a hint naming the scrape’s options, fetched with the CA or with verification off', { skip: missing(SERVED['/debug/pprof/heap']) }, async () => {
    const pki = createPki();
    const server = createHttpsServer({ cert: pki.server.certPem, key: pki.server.keyPem }, handler([]));
    const host = await listen(server);
    const url = `https://${host}/debug/pprof/heap`;
    const heap = readFileSync(SERVED['/debug/pprof/heap']);
    const fetchWith = async (tls: ReturnType<typeof scrapeTls>) => {
      const d = createDispatcher({ tls, proxy: { mode: 'direct' }, enableHttp2: false }, {});
      try {
        return await fetchProfile(url, { dispatcher: d, timeoutMs: 5000, signal: new AbortController().signal, tls });
      } finally {
        await d.destroy();
      }
    };
    try {
      await assert.rejects(fetchWith(scrapeTls({})), {
        name: 'ScrapeError',
        message: `${url}: certificate not trusted: unable to verify the first certificate (use --scrape-ca-file, or --scrape-insecure-skip-verify)`,
      });
      assert.ok(Buffer.from(await fetchWith(scrapeTls({ caFile: pki.ca }))).equals(heap));
      assert.ok(Buffer.from(await fetchWith(scrapeTls({ insecureSkipVerify: true }))).equals(heap));
    } finally {
      await closeServer(server as unknown as Server);
    }
  });
});
