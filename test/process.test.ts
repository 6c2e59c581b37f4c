/**
 * What only a real process shows: exit codes as a shell sees them, signals, and the bin's own wiring.
 * Everything else runs in-process (helpers.ts runCli); keep this file to the few cases that need a process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { createPushHandler, startReceiver } from '../src/receiver/receiver.js';
import { BIN, fixture, spawnCli, tempDir, writeTemp } from './helpers.js';

const CPU = fixture('cpu.pb.gz');

describe('exit codes through the real bin', () => {
  test('0 when delivered, 1 when a push failed, 2 for a mistake (nothing sent)', async () => {
    const r = await startReceiver('127.0.0.1', 0, { script: ({ count }) => (count === 2 ? { status: 400, body: 'nope' } : undefined) });
    try {
      assert.equal((await spawnCli([CPU, '--url', r.url, '--service-name', 'a'])).code, 0);
      assert.equal((await spawnCli([CPU, '--url', r.url, '--service-name', 'a'])).code, 1);
      const mistake = await spawnCli([CPU, '--url', r.url, '--timeout', '10']);
      assert.deepEqual([mistake.code, mistake.stderr], [2, 'error: --timeout: invalid duration "10" (add a unit: 10s or 10ms)\n']);
      assert.equal(r.requests(), 2);
    } finally {
      await r.close();
    }
  });
  test('--version and --help: 0; an unknown flag: 2', async () => {
    assert.equal((await spawnCli(['--version'])).code, 0);
    assert.equal((await spawnCli(['--help'])).code, 0);
    assert.equal((await spawnCli(['--nope'])).code, 2);
  });
});

test('process substitution <(…): read once and delivered (its /dev/fd path cannot be re-read or resolved)', async () => {
  const r = await startReceiver('127.0.0.1', 0);
  try {
    // Spawned asynchronously: the receiver answering it lives in this process.
    const child = spawn('bash', ['-c', `"${process.execPath}" "${BIN}" <(cat "${CPU}") --url ${r.url} --service-name a`], { env: { PATH: process.env.PATH ?? '' }, stdio: 'ignore' });
    assert.equal(await new Promise((resolve) => child.on('close', resolve)), 0);
    assert.deepEqual(Buffer.from(r.received[0]?.rawProfile ?? []), readFileSync(CPU));
  } finally {
    await r.close();
  }
});

describe('signals', () => {
  /** The receiver's handler behind a delay, and the CLI spawned against it with n profiles. */
  async function interrupted(signals: NodeJS.Signals[], n: number) {
    const { handler, received } = createPushHandler();
    const server = createServer((req: IncomingMessage, res: ServerResponse) => void sleep(150).then(() => handler(req, res)).catch(() => res.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = tempDir();
    for (let i = 0; i < n; i++) writeTemp(dir, `p${String(i).padStart(3, '0')}.pb.gz`, readFileSync(CPU));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const child = spawn(process.execPath, [BIN, dir, '--url', url, '--service-name', 'a', '--concurrency', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let exited = false;
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal }))).finally(() => (exited = true));
    // Interrupted once the first profile is through (a run that ended early fails the assertions instead).
    while (!stdout.includes('✔') && !exited) await sleep(10);
    const started = Date.now();
    for (const s of signals) child.kill(s);
    const end = await closed;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    return { ...end, stdout, stderr, received, tookMs: Date.now() - started };
  }

  test('SIGINT mid-run: in-flight requests end, the rest is reported as not sent, the summary is printed, exit 130', async () => {
    const run = await interrupted(['SIGINT'], 40);
    assert.equal(run.code, 130, run.stdout + run.stderr);
    assert.ok(run.tookMs < 2000, `stopped in ${run.tookMs} ms`);
    const delivered = (run.stdout.match(/^✔ /gm) ?? []).length;
    const notSent = (run.stdout.match(/: not sent: interrupted \(SIGINT\) before its turn$/gm) ?? []).length;
    const cut = (run.stdout.match(/: interrupted \(SIGINT\) during attempt 1$/gm) ?? []).length;
    assert.equal(delivered + notSent + cut, 40, run.stdout);
    // Never reported delivered unless the server stored it (a request cut in flight may still have been stored).
    assert.ok(delivered <= run.received.length && run.received.length <= delivered + cut, `delivered ${delivered}, stored ${run.received.length}, cut ${cut}`);
    assert.match(run.stdout, new RegExp(`^${40 - delivered} of 40 pushes not delivered \\(40 profiles to 1 endpoint, [^)]+\\): ${delivered} delivered, ${40 - delivered} not sent$`, 'm'));
  });

  test('SIGTERM: the same, exit 143', async () => {
    const run = await interrupted(['SIGTERM'], 20);
    assert.equal(run.code, 143, run.stdout + run.stderr);
    assert.match(run.stdout, /not sent: interrupted \(SIGTERM\) before its turn/);
  });

  test('a second SIGINT stops the process at once', async () => {
    const run = await interrupted(['SIGINT', 'SIGINT'], 20);
    assert.ok(run.code === 130 || run.signal === 'SIGINT', `code ${run.code}, signal ${run.signal}`);
    assert.doesNotMatch(run.stdout, /pushed 20 profiles/);
  });
});

test('the CLI keeps V8’s young generation at YOUNG_GENERATION_MAX (cli/v8-tuning.ts); left alone it grows past it', async () => {
  // V8's flags are the process's: each case is a process of its own, allocating as a bulk run does
  // (most objects die young, enough survive a collection for V8 to want a bigger young generation).
  const largest = async (cap: boolean) => {
    const script = `
      import { getHeapSpaceStatistics } from 'node:v8';
      const { capYoungGeneration } = await import(${JSON.stringify(new URL('../src/cli/v8-tuning.ts', import.meta.url).href)});
      if (${cap}) capYoungGeneration();
      const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
      let largest = 0;
      const live = new Array(20000);
      for (let round = 0; round < 200; round++) {
        for (let i = 0; i < 20000; i++) live[(round * 7919 + i) % 20000] = { round, i, name: 'p' + i };
        largest = Math.max(largest, young());
        await new Promise((r) => setImmediate(r));
      }
      process.stdout.write(String(largest));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    await new Promise((resolve) => child.on('close', resolve));
    return Number(out);
  };
  const { YOUNG_GENERATION_MAX } = await import('../src/cli/v8-tuning.js');
  const [capped, free] = await Promise.all([largest(true), largest(false)]);
  assert.ok(capped > 0 && capped <= YOUNG_GENERATION_MAX, `capped at ${capped}`);
  assert.ok(free > YOUNG_GENERATION_MAX, `left alone: ${free}`);
});
