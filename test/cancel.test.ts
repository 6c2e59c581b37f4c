import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { systemClock } from '../src/clock.js';
import { toPushOptions } from '../src/cli/flags.js';
import { resolveConfig } from '../src/config/resolve.js';
import { EndpointHealth } from '../src/delivery/endpoint-health.js';
import { deliver } from '../src/delivery/fan-out.js';
import { exitCodeFor } from '../src/delivery/result.js';
import { RunStopped } from '../src/errors.js';
import { planProfiles } from '../src/profile/plan.js';
import { createPushHandler, startReceiver } from '../src/receiver/receiver.js';
import { readInput } from '../src/sources/inputs.js';
import { createDispatcher } from '../src/transport/dispatcher.js';
import { push } from '../src/push.js';
import { SECRETS, fixture, runCli, tempDir, writeTemp } from './helpers.js';

const CPU = fixture('cpu.pb.gz');

/** A server that takes requests and never answers them (a token endpoint or a Pyroscope that hangs). */
async function withHangingServer(fn: (url: string, seen: () => number) => Promise<void>) {
  let seen = 0;
  const server = createServer((req) => {
    seen++;
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, () => seen);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The receiver's handler behind a delay. */
async function withSlowReceiver(delayMs: number, fn: (url: string, received: unknown[]) => Promise<void>) {
  const { handler, received } = createPushHandler();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => void sleep(delayMs).then(() => handler(req, res)).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, received);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('one signal reaches every wait', () => {
  test('a token endpoint that never answers: --timeout 1s --deadline 2s ends within the deadline + 1 s', () =>
    withHangingServer(async (tokenUrl, seen) => {
      const receiver = await startReceiver('127.0.0.1', 0);
      try {
        const secret = writeTemp(tempDir(), 'secret', SECRETS.clientSecret);
        const started = Date.now();
        const run = await runCli([CPU, '--url', receiver.url, '--service-name', 'a', '--oauth2-client-id', 'c', '--oauth2-client-secret-file', secret, '--oauth2-token-url', `${tokenUrl}/token`, '--timeout', '1s', '--deadline', '2s', '--min-backoff', '100ms']);
        const took = Date.now() - started;
        assert.ok(took < 3000, `took ${took} ms`);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.ok(seen() >= 2, `token requests: ${seen()}`);
        assert.equal(receiver.requests(), 0);
        assert.match(run.stdout, /: could not get an OAuth2 token: token endpoint http:\/\/127\.0\.0\.1:\d+\/token: timed out after 2 attempts, stopped by --deadline 2s/);
      } finally {
        await receiver.close();
      }
    }));

  test('a server that never answers and a stop from the caller: the run ends at once, nothing counted as delivered', () =>
    withHangingServer(async (url) => {
      const stop = new AbortController();
      setTimeout(() => stop.abort(new RunStopped('interrupted', 'SIGINT')), 200);
      const started = Date.now();
      const run = await runCli([CPU, '--url', url, '--service-name', 'a'], { signal: stop.signal });
      // The request in flight gets the interrupt grace (2 s) to be answered, then is cut: not the 10 s timeout.
      assert.ok(Date.now() - started < 3500, 'the 10 s attempt timeout did not hold the run');
      assert.equal(run.code, 130, run.stdout + run.stderr);
      assert.match(run.stdout, /cpu\.pb\.gz → .*: interrupted \(SIGINT\) during attempt 1$/m);
      assert.match(run.stdout, /^1 of 1 pushes not delivered \(1 profile to 1 endpoint, [\d.]+m?s\): 1 not sent$/m);
    }));

  test('a stop during the backoff wait ends the wait: the last failure stands, no further attempt', () =>
    withSlowReceiver(0, async () => {
      const receiver = await startReceiver('127.0.0.1', 0, { script: () => ({ status: 503 }) });
      try {
        const stop = new AbortController();
        const run = runCli([CPU, '--url', receiver.url, '--service-name', 'a', '--min-backoff', '1m', '--max-backoff', '1m'], { signal: stop.signal });
        while (receiver.requests() < 1) await sleep(5);
        stop.abort(new RunStopped('interrupted', 'SIGTERM'));
        const done = await run;
        assert.equal(done.code, 143, done.stdout + done.stderr);
        assert.equal(receiver.requests(), 1);
        assert.match(done.stdout, /503 Service Unavailable after 1 attempt, interrupted \(SIGTERM\)/);
      } finally {
        await receiver.close();
      }
    }));

  test('the library: hooks.signal stops the run; undelivered profiles are results, never thrown away', () =>
    withSlowReceiver(300, async (url, received) => {
      const dir = tempDir();
      for (let i = 0; i < 6; i++) writeTemp(dir, `p${i}.pb.gz`, readFileSync(CPU));
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 450);
      const report = await push([dir], { url, serviceName: 'a', concurrency: 1, maxAttempts: 1 }, { signal: stop.signal });
      const oks = report.results.map((r) => r.endpoints[0]?.ok);
      assert.equal(report.results.length, 6);
      assert.equal(oks.filter(Boolean).length, received.length, 'delivered = what the server stored');
      assert.ok(received.length >= 1 && received.length < 6, `received ${received.length}`);
      assert.match(report.results[5]?.endpoints[0]?.error ?? '', /^not sent: interrupted \(This operation was aborted\) before its turn$/);
      assert.equal(exitCodeFor(report), 1);
    }));

  test('--deadline also bounds reading the inputs (stdin that never ends)', async () => {
    const never = { isTTY: false, read: (signal?: AbortSignal) => new Promise<Uint8Array>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))) };
    await assert.rejects(push(['-'], { url: 'http://127.0.0.1:1', serviceName: 'a', deadline: 200 }, { stdin: never }), /<stdin>: stopped by --deadline 200ms while it was being read; nothing was sent/);
  });
});

describe('a bug while delivering one profile is that result, exit 3, and the others still go out', () => {
  test('an authorizer that throws a TypeError: internal, not a network error', async () => {
    const receiver = await startReceiver('127.0.0.1', 0);
    try {
      const { config } = resolveConfig(toPushOptions({ url: [receiver.url], serviceName: 'a' }), {});
      const inputs = [await readInput(CPU, { isTTY: false, read: async () => new Uint8Array() })];
      const { profiles } = planProfiles(inputs, config, Date.now());
      const dispatcher = createDispatcher(config.endpoints[0]!, {});
      const never = new AbortController().signal;
      const health = new EndpointHealth('e');
      const results = await deliver(profiles, config, {
        clock: systemClock,
        signal: never,
        inFlight: never,
        healthFor: () => health,
        connectionFor: () => ({ dispatcher, authorizer: { header: async () => (null as unknown as { x: string }).x, invalidate: () => false } }),
      });
      await dispatcher.close();
      assert.equal(results[0]?.endpoints[0]?.internal, true);
      assert.match(results[0]?.endpoints[0]?.error ?? '', /^internal error \(a bug in pyro-push, please report it\): Cannot read properties of null/);
      assert.equal(exitCodeFor({ results }), 3);
      assert.equal(receiver.requests(), 0);
    } finally {
      await receiver.close();
    }
  });
});

describe('a stop while many small files are read (each read synchronously)', () => {
  test('a stop (Ctrl-C) ends the reading within milliseconds: nothing sent, the input it stopped at named', () =>
    withSlowReceiver(0, async (url, received) => {
      const dir = tempDir();
      const bytes = readFileSync(CPU);
      for (let i = 0; i < 2000; i++) writeTemp(dir, `p${String(i).padStart(4, '0')}.pb.gz`, bytes);
      const stop = new AbortController();
      // Asked for when the reading begins, as a Ctrl-C is: without turns of the event loop while inputs
      // are read, it would come only after the last one, and the run would go on to send.
      const onInputs = () => void setImmediate(() => stop.abort(new RunStopped('interrupted', 'SIGINT')));
      const run = push([dir], { url, serviceName: 'a' }, { signal: stop.signal, onInputs });
      await assert.rejects(run, /p\d{4}\.pb\.gz: interrupted \(SIGINT\) while it was being read; nothing was sent/);
      assert.equal(received.length, 0);
    }));

  test('timers (--deadline, a Ctrl-C) get a turn every few milliseconds, not once per reader in a row', async () => {
    const dir = tempDir();
    const bytes = readFileSync(CPU);
    for (let i = 0; i < 3000; i++) writeTemp(dir, `p${String(i).padStart(4, '0')}.pb.gz`, bytes);
    const ticks: number[] = [];
    let timer: NodeJS.Timeout | undefined;
    const onInputs = () => void (timer = setInterval(() => ticks.push(performance.now()), 2));
    try {
      await push([dir], { url: 'http://127.0.0.1:1', serviceName: 'a', dryRun: true }, { onInputs, onPlan: () => clearInterval(timer) });
    } finally {
      clearInterval(timer);
    }
    const gaps = ticks.slice(1).map((t, i) => t - (ticks[i] as number)).sort((a, b) => a - b);
    assert.ok(gaps.length >= 5, `${gaps.length} turns while 3000 files were read`);
    // Sixteen readers that each waited for a turn of their own gave one every 16 × 10 ms.
    const p90 = gaps[Math.floor(gaps.length * 0.9)] as number;
    assert.ok(p90 < 60, `90% of the waits for a turn under 60 ms; the 90th percentile was ${p90.toFixed(0)} ms`);
  });
});
