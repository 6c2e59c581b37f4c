import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { push } from '../src/push.js';
import { createPushHandler, startReceiver } from '../src/receiver/receiver.js';
import { SECRETS, fixture, runCli, tempDir, writeTemp } from './helpers.js';

const CPU = fixture('cpu.pb.gz');
const HEAP = fixture('heap.pb');
const FAST = ['--min-backoff', '1ms', '--max-backoff', '5ms'];
/** Nothing listens there: every connection is refused at once. */
const DEAD = 'http://127.0.0.1:1';

function copies(n: number, from = CPU): string {
  const dir = tempDir();
  for (let i = 0; i < n; i++) writeTemp(dir, `p${String(i).padStart(3, '0')}.pb.gz`, readFileSync(from));
  return dir;
}

/** A YAML config whose one endpoint is named `main`, wherever it points: a spool entry follows the name. */
function configFor(url: string): string {
  return writeTemp(tempDir(), 'pyro-push.yaml', `endpoints:\n  - name: main\n    url: ${url}\n    bearer_token: ${SECRETS.token}\n`);
}

const entries = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.json'));

describe('one endpoint, one health', () => {
  test('a dead endpoint is found once: the other profiles are not attempted, the good endpoint gets everything', async () => {
    const good = await startReceiver('127.0.0.1', 0);
    try {
      const started = Date.now();
      const run = await runCli([copies(6), '--url', good.url, '--url', DEAD, '--service-name', 'a', '--concurrency', '1', '--max-attempts', '3', ...FAST]);
      assert.ok(Date.now() - started < 3000);
      assert.equal(run.code, 1);
      assert.equal(good.received.length, 6);
      assert.match(run.stdout, /p000\.pb\.gz → http:\/\/127\.0\.0\.1:1: push failed: .*: connection refused after 3 attempts$/m);
      assert.equal((run.stdout.match(/→ http:\/\/127\.0\.0\.1:1: not sent: endpoint http:\/\/127\.0\.0\.1:1 is down \(connection refused\)$/gm) ?? []).length, 5, run.stdout);
      assert.match(run.stdout, /^6 of 12 pushes not delivered \(6 profiles to 2 endpoints, [^)]+\): 6 delivered, 6 not sent$/m);
    } finally {
      await good.close();
    }
  });

  test('a Retry-After holds every profile for that endpoint, not just the one that got it', async () => {
    const times: number[] = [];
    const { handler, received } = createPushHandler();
    let first = true;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      times.push(Date.now());
      if (first) {
        first = false;
        req.resume();
        return req.on('end', () => res.writeHead(429, { 'retry-after': '1' }).end('slow down'));
      }
      void handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const run = await runCli([copies(4), '--url', url, '--service-name', 'a', '--concurrency', '1', '--max-backoff', '5s']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(received.length, 4);
      // The first answer asked for 1 s: the next request to that endpoint, whichever profile, waited for it.
      assert.ok((times[1] as number) - (times[0] as number) >= 950, `waited ${(times[1] as number) - (times[0] as number)} ms`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the spool', () => {
  test('what a dead endpoint could not take is spooled (no secret on disk), and the next run delivers it byte-identical', async () => {
    const spool = tempDir();
    const dir = copies(2);
    writeTemp(dir, 'heap.pb', readFileSync(HEAP));
    const first = await runCli([dir, '-c', configFor(DEAD), '--spool-dir', spool, '--service-name', 'a', '--max-attempts', '2', '--concurrency', '1', ...FAST]);
    assert.equal(first.code, 1);
    assert.match(first.stdout, /^↻ .*heap\.pb → main: spooled for a later run: push failed: .*connection refused after 2 attempts$/m);
    assert.match(first.stdout, /^↻ .*p001\.pb\.gz → main: spooled for a later run: not sent: endpoint main is down \(connection refused\)$/m);
    assert.match(first.stdout, /^3 of 3 pushes not delivered \(3 profiles to 1 endpoint, [^)]+\): 3 spooled$/m);
    assert.equal(entries(spool).length, 3);
    for (const name of readdirSync(spool)) {
      if (name === 'rejected') continue;
      assert.ok(!readFileSync(join(spool, name)).includes(SECRETS.token), `${name} holds the token`);
    }
    const record = JSON.parse(readFileSync(join(spool, entries(spool)[0] as string), 'utf8'));
    assert.deepEqual([record.endpoint, record.protocol, record.labels.service_name], [{ name: 'main', url: DEAD }, 'push', 'a']);

    const good = await startReceiver('127.0.0.1', 0);
    try {
      const second = await runCli(['flush', '-c', configFor(good.url), '--spool-dir', spool]);
      assert.equal(second.code, 0, second.stdout + second.stderr);
      assert.equal(good.received.length, 3);
      assert.deepEqual(good.received.map((p) => Buffer.from(p.rawProfile).length).sort(), [readFileSync(CPU).length, readFileSync(CPU).length, readFileSync(HEAP).length].sort());
      assert.equal(good.received[0]?.labels.service_name, 'a');
      assert.equal(good.received[0]?.headers.authorization, `Bearer ${SECRETS.token}`, 'auth comes from the flushing run');
      assert.deepEqual(entries(spool), []);
      assert.deepEqual(readdirSync(spool).filter((n) => n !== 'rejected'), [], 'profiles removed too');
    } finally {
      await good.close();
    }
  });

  test('every run with --spool-dir sends the spool first, oldest first, then its own inputs', async () => {
    const spool = tempDir();
    await runCli([CPU, '-c', configFor(DEAD), '--spool-dir', spool, '--service-name', 'old', '--max-attempts', '1']);
    const good = await startReceiver('127.0.0.1', 0);
    try {
      const run = await runCli([HEAP, '-c', configFor(good.url), '--spool-dir', spool, '--service-name', 'new', '--concurrency', '1']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(good.received.map((p) => p.labels.service_name), ['old', 'new']);
      assert.match(run.stdout, /^pushed 2 profiles to 1 endpoint in /m);
    } finally {
      await good.close();
    }
  });

  test('a spooled profile the server refuses moves to rejected/ with its answer', async () => {
    const spool = tempDir();
    await runCli([CPU, '-c', configFor(DEAD), '--spool-dir', spool, '--service-name', 'a', '--max-attempts', '1']);
    const refusing = await startReceiver('127.0.0.1', 0, { script: () => ({ status: 400, body: '{"code":"invalid_argument","message":"nope"}', headers: { 'content-type': 'application/json' } }) });
    try {
      const run = await runCli(['flush', '-c', configFor(refusing.url), '--spool-dir', spool]);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /→ main: refused by the server: .*400 Bad Request \(invalid_argument\) after 1 attempt: nope$/m);
      assert.deepEqual(entries(spool), []);
      const rejected = entries(join(spool, 'rejected'));
      assert.equal(rejected.length, 1);
      assert.match(JSON.parse(readFileSync(join(spool, 'rejected', rejected[0] as string), 'utf8')).answer, /nope/);
    } finally {
      await refusing.close();
    }
  });

  test('an entry for an endpoint this run does not have stays, and is said', async () => {
    const spool = tempDir();
    await runCli([CPU, '--url', DEAD, '--spool-dir', spool, '--service-name', 'a', '--max-attempts', '1']);
    const good = await startReceiver('127.0.0.1', 0);
    try {
      const run = await runCli(['flush', '-c', configFor(good.url), '--spool-dir', spool]);
      assert.equal(run.code, 0);
      assert.match(run.stderr, new RegExp(`warning: ${spool}: 1 spooled profile\\(s\\) for endpoint http://127\\.0\\.0\\.1:1 \\(http://127\\.0\\.0\\.1:1\\) stay there: that endpoint is not configured in this run`));
      assert.equal(entries(spool).length, 1);
      assert.equal(good.received.length, 0);
    } finally {
      await good.close();
    }
  });

  test('a run says how many spooled profiles it will send, before it reads them (PushHooks.onSpool)', async () => {
    const spool = tempDir();
    await runCli([copies(3), '-c', configFor(DEAD), '--spool-dir', spool, '--service-name', 'a', '--max-attempts', '1']);
    // One for an endpoint this run does not have: it stays, and is not counted.
    const other = writeTemp(tempDir(), 'other.yaml', `endpoints:\n  - name: other\n    url: ${DEAD}\n`);
    await runCli([HEAP, '-c', other, '--spool-dir', spool, '--service-name', 'a', '--max-attempts', '1']);
    assert.equal(entries(spool).length, 4);
    const good = await startReceiver('127.0.0.1', 0);
    try {
      const seen: string[] = [];
      await push([], { config: configFor(good.url), spoolDir: spool, flushOnly: true }, { onSpool: (n) => seen.push(`spool: ${n}`), onResult: () => seen.push('result') });
      assert.deepEqual(seen, ['spool: 3', 'result', 'result', 'result']);
      assert.equal(good.received.length, 3);
    } finally {
      await good.close();
    }
  });

  test('bounds drop the oldest entries, each reported', async () => {
    const spool = tempDir();
    await runCli([copies(3), '-c', configFor(DEAD), '--spool-dir', spool, '--service-name', 'a', '--max-attempts', '1', '--concurrency', '1']);
    assert.equal(entries(spool).length, 3);
    const size = readFileSync(CPU).length;
    const run = await runCli(['flush', '-c', configFor(DEAD), '--spool-dir', spool, '--spool-max-bytes', String(size), '--max-attempts', '1']);
    assert.equal(run.code, 1);
    assert.equal((run.stdout.match(/: dropped from the spool: the spool is over --spool-max-bytes$/gm) ?? []).length, 2, run.stdout);
    assert.match(run.stdout, /: 1 spooled, 2 dropped$/m);
    assert.equal(entries(spool).length, 1);
    const aged = await runCli(['flush', '-c', configFor(DEAD), '--spool-dir', spool, '--spool-max-age', '1ms', '--max-attempts', '1']);
    assert.match(aged.stdout, /: dropped from the spool: older than --spool-max-age$/m);
    assert.equal(entries(spool).length, 0);
  });

  test('two runs on one spool never send an entry twice', async () => {
    const spool = tempDir();
    await runCli([copies(10), '-c', configFor(DEAD), '--spool-dir', spool, '--service-name', 'a', '--max-attempts', '1']);
    const { handler, received } = createPushHandler();
    const server = createServer((req, res) => void sleep(20).then(() => handler(req, res)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const config = configFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const [a, b] = await Promise.all([runCli(['flush', '-c', config, '--spool-dir', spool, '--concurrency', '1']), runCli(['flush', '-c', config, '--spool-dir', spool, '--concurrency', '1'])]);
      assert.deepEqual([a.code, b.code], [0, 0], a.stdout + b.stdout);
      assert.equal(received.length, 10);
      assert.deepEqual(entries(spool), []);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("a dead process's claim is taken back and sent", async () => {
    const spool = tempDir();
    await runCli([CPU, '-c', configFor(DEAD), '--spool-dir', spool, '--service-name', 'a', '--max-attempts', '1']);
    const [entry] = entries(spool);
    renameSync(join(spool, entry as string), join(spool, `${entry}.claim-999999`));
    const good = await startReceiver('127.0.0.1', 0);
    try {
      // In-process runs are given no process table: the CLI's own (spawned) wiring checks pids, so this goes through a real process check.
      const { spawnCli } = await import('./helpers.js');
      const run = await spawnCli(['flush', '-c', configFor(good.url), '--spool-dir', spool]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(good.received.length, 1);
    } finally {
      await good.close();
    }
  });

  test('a spool that cannot be written: the profile is not sent, never reported as spooled', async () => {
    const spool = join(tempDir(), 'spool');
    mkdirSync(spool);
    // The folder goes away after the run opened it: writes fail as on a full or vanished disk.
    const server = createServer((req, res) => {
      rmSync(spool, { recursive: true, force: true });
      req.resume();
      req.on('end', () => res.writeHead(503).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const run = await runCli([CPU, '-c', configFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), '--spool-dir', spool, '--service-name', 'a', '--max-attempts', '1']);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /^✖ .* → main: push failed: .*503 Service Unavailable after 1 attempt; the spool could not be written \(no such file or directory\)$/m);
      assert.match(run.stdout, /: 1 not sent$/m);
      assert.ok(!existsSync(spool));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('dump folders', () => {
  test('--skip-invalid: each bad input one line, the good ones sent, exit 2', async () => {
    const r = await startReceiver('127.0.0.1', 0);
    try {
      const dir = copies(2);
      writeTemp(dir, 'README.txt', 'not a profile\n');
      const run = await runCli([dir, '--url', r.url, '--service-name', 'a', '--skip-invalid']);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.equal(r.received.length, 2);
      assert.match(run.stdout, /^– .*README\.txt → http:\/\/127\.0\.0\.1:\d+: skipped: .*README\.txt: /m);
      assert.match(run.stdout, /: 2 delivered, 1 skipped$/m);
    } finally {
      await r.close();
    }
  });

  test('--remove-sent removes what every endpoint took; what one missed stays (no spool) or is removed once spooled', async () => {
    const r = await startReceiver('127.0.0.1', 0);
    try {
      const delivered = copies(2);
      assert.equal((await runCli([delivered, '--url', r.url, '--service-name', 'a', '--remove-sent'])).code, 0);
      assert.deepEqual(readdirSync(delivered), []);
      const missed = copies(2);
      await runCli([missed, '--url', r.url, '--url', DEAD, '--service-name', 'a', '--remove-sent', '--max-attempts', '1']);
      assert.equal(readdirSync(missed).length, 2, 'not delivered everywhere: kept for the next run');
      const spool = tempDir();
      await runCli([missed, '--url', r.url, '--url', DEAD, '--service-name', 'a', '--remove-sent', '--max-attempts', '1', '--spool-dir', spool]);
      assert.deepEqual(readdirSync(missed), [], 'delivered to one, spooled for the other');
      assert.equal(entries(spool).length, 2);
    } finally {
      await r.close();
    }
  });

  test("a glob pattern the shell did not expand ('dumps/**/*.pb.gz') is expanded, matches sorted; one that matches nothing is said", async () => {
    const r = await startReceiver('127.0.0.1', 0);
    try {
      const dir = copies(1);
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', 'deep.pb.gz'), readFileSync(CPU));
      writeFileSync(join(dir, 'sub', 'notes.txt'), 'not matched');
      const run = await runCli([`${dir}/**/*.pb.gz`, '--url', r.url, '--service-name', 'a', '--concurrency', '1']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(r.received.length, 2);
      const none = await runCli([`${dir}/**/*.pprof`, '--url', r.url]);
      assert.equal(none.code, 2);
      assert.equal(none.stderr.trim().split('\n').at(-1), `error: ${dir}/**/*.pprof: the pattern matches no file`);
    } finally {
      await r.close();
    }
  });

  test('a cron run over an emptied dump folder still flushes the spool: no new profile is no mistake', async () => {
    const spool = tempDir();
    await runCli([CPU, '-c', configFor(DEAD), '--spool-dir', spool, '--service-name', 'a', '--max-attempts', '1']);
    const good = await startReceiver('127.0.0.1', 0);
    try {
      const empty = tempDir();
      const run = await runCli([empty, '-c', configFor(good.url), '--spool-dir', spool, '--remove-sent']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(good.received.length, 1);
      assert.deepEqual(entries(spool), []);
    } finally {
      await good.close();
    }
  });

  test('with --spool-dir a refused input is kept in rejected/ with the answer and is not sent again by the next cron run', async () => {
    const refusing = await startReceiver('127.0.0.1', 0, { script: () => ({ status: 400, body: '{"code":"invalid_argument","message":"nope"}', headers: { 'content-type': 'application/json' } }) });
    try {
      const spool = tempDir();
      const dumps = copies(1);
      const run = await runCli([dumps, '--url', refusing.url, '--service-name', 'a', '--spool-dir', spool, '--remove-sent']);
      assert.equal(run.code, 1);
      assert.deepEqual(readdirSync(dumps), [], 'handled: removed from the dump folder');
      const kept = entries(join(spool, 'rejected'));
      assert.equal(kept.length, 1);
      assert.match(JSON.parse(readFileSync(join(spool, 'rejected', kept[0] as string), 'utf8')).answer, /400 Bad Request \(invalid_argument\) after 1 attempt: nope/);
      assert.deepEqual(entries(spool), [], 'not waiting to be sent again');
    } finally {
      await refusing.close();
    }
  });

  test('--move-sent and --recursive', async () => {
    const r = await startReceiver('127.0.0.1', 0);
    try {
      const dir = copies(1);
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', 'deep.pb.gz'), readFileSync(CPU));
      const done = join(tempDir(), 'done');
      const run = await runCli([dir, '--url', r.url, '--service-name', 'a', '--recursive', '--move-sent', done]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(readdirSync(done).sort(), ['deep.pb.gz', 'p000.pb.gz']);
      assert.equal(r.received.length, 2);
    } finally {
      await r.close();
    }
  });
});
