/**
 * The fault suite (issue 8 §7): real sockets on 127.0.0.1, a scripted server (test/fault-server.ts), the
 * CLI in-process (the signals case spawns the real bin). Each scenario asserts the exit code, the
 * requests the server saw, and where every input ended — counted from the server's records (by SHA-256
 * of the bytes) and from the spool folder (`<id>.json` + `<id>.pb`), never assumed from the CLI's words.
 *
 * Inputs are distinct by construction: one pprof profile is made with pprof-format holding the string
 * `variant-000000`, and each input is a copy with those six digits replaced by its index (same length,
 * so every copy stays a valid profile and only those bytes differ). Each input's SHA-256 is its identity.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { Function as Fn, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { type Behaviour, type FaultServer, OK, type Script, seeded, startFaultServer, status } from './fault-server.js';
import { BIN, SECRETS, runCli, tempDir } from './helpers.js';

// A full GC on demand, for the soak's memory samples (this file runs in its own process under node --test).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const FAST = ['--min-backoff', '1ms', '--max-backoff', '20ms'];
const MARK = 'variant-000000';

/** A valid CPU profile with `functions` functions and samples, holding MARK once. */
function baseProfile(functions: number): Buffer {
  const st = new StringTable();
  const file = st.dedup('main.go');
  const fns = Array.from({ length: functions }, (_, i) => new Fn({ id: i + 1, name: st.dedup(i === 0 ? MARK : `pkg.function_number_${i}`), filename: file }));
  const p = new Profile({
    stringTable: st,
    sampleType: [new ValueType({ type: st.dedup('cpu'), unit: st.dedup('nanoseconds') })],
    periodType: new ValueType({ type: st.dedup('cpu'), unit: st.dedup('nanoseconds') }),
    period: 10_000_000,
    function: fns,
    location: fns.map((f, i) => new Location({ id: i + 1, line: [new Line({ functionId: f.id, line: 10 + i })] })),
    sample: fns.map((_, i) => new Sample({ locationId: [i + 1, 1], value: [(i + 1) * 10_000_000] })),
    timeNanos: 0,
  });
  return Buffer.from(p.encode());
}

interface Inputs {
  dir: string;
  /** File name → SHA-256 of its bytes. */
  sha: Map<string, string>;
  size: number;
}

/** `n` distinct profiles of about the base's size in a new folder: p000000.pb, p000001.pb, … */
function makeInputs(n: number, functions = 8): Inputs {
  const base = baseProfile(functions);
  const at = base.indexOf(MARK) + MARK.length - 6;
  assert.ok(at >= 0);
  const dir = tempDir('pyro-push-faults-');
  const sha = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const bytes = Buffer.from(base);
    bytes.write(String(i).padStart(6, '0'), at, 'latin1');
    const name = `p${String(i).padStart(6, '0')}.pb`;
    writeFileSync(join(dir, name), bytes);
    sha.set(name, createHash('sha256').update(bytes).digest('hex'));
  }
  return { dir, sha, size: base.length };
}

interface SpoolItem {
  id: string;
  sha256: string;
  source: string;
}

/** What the spool folder holds, read from disk: each record with its profile, whose bytes must match it. */
function readSpool(dir: string): SpoolItem[] {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir);
  assert.deepEqual(names.filter((n) => !/^\d{15}-[0-9a-f]{12}\.(json|pb)$/.test(n) && n !== 'rejected'), [], 'only entries (no claims, no temporary files) are left');
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => {
      const id = n.slice(0, -'.json'.length);
      const record = JSON.parse(readFileSync(join(dir, n), 'utf8')) as { sha256: string; source: string; size: number };
      const bytes = readFileSync(join(dir, `${id}.pb`));
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      assert.equal(sha256, record.sha256, `spool entry ${id}: the profile's bytes are those its record names`);
      assert.equal(bytes.length, record.size);
      return { id, sha256, source: record.source };
    });
}

interface Ledger {
  delivered: number;
  spooled: number;
  /** Inputs the server stored more than once (a retry after an answer lost on the way). */
  duplicates: number;
  /** Inputs neither stored nor spooled. */
  missing: string[];
}

/**
 * Where every input ended, counted: stored by the server (byte-identical: by SHA-256) and/or in the spool.
 * Anything stored or spooled that is not one of the inputs fails the test.
 */
function ledger(inputs: Inputs, server: FaultServer, spoolDir?: string): Ledger {
  const known = new Set(inputs.sha.values());
  const storedCount = new Map<string, number>();
  for (const s of server.stored) {
    assert.ok(known.has(s.sha256), 'the server stored bytes that are no input (not byte-identical)');
    storedCount.set(s.sha256, (storedCount.get(s.sha256) ?? 0) + 1);
  }
  const spooled = spoolDir ? readSpool(spoolDir) : [];
  const spooledSet = new Set<string>();
  for (const s of spooled) {
    assert.ok(known.has(s.sha256), 'the spool holds bytes that are no input');
    assert.ok(!spooledSet.has(s.sha256), `${s.source} is in the spool twice`);
    spooledSet.add(s.sha256);
  }
  const missing: string[] = [];
  for (const [name, sha] of inputs.sha) if (!storedCount.has(sha) && !spooledSet.has(sha)) missing.push(name);
  return {
    delivered: storedCount.size,
    spooled: spooledSet.size,
    duplicates: [...storedCount.values()].filter((c) => c > 1).length,
    missing,
  };
}

interface Counts {
  delivered: number;
  spooled: number;
  rejected: number;
  'not-sent': number;
  skipped: number;
  dropped: number;
}

function jsonCounts(stdout: string): Counts {
  return (JSON.parse(stdout) as { counts: Counts }).counts;
}

async function withServer(script: Script, fn: (server: FaultServer) => Promise<void>): Promise<void> {
  const server = await startFaultServer(script);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

const kinds = (server: FaultServer) => server.requests.map((r) => r.behaviour);

describe('fault scenarios: every input delivered byte-identical or in the spool, counted', () => {
  test('a burst of 5xx shorter than the attempts: everything delivered once, the server saw each failure', () =>
    withServer([status(503), status(502), status(500)], async (server) => {
      const inputs = makeInputs(3);
      const spool = tempDir();
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'f', '--concurrency', '1', '--max-attempts', '5', '--spool-dir', spool, '--json', ...FAST]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(kinds(server), ['status', 'status', 'status', 'ok', 'ok', 'ok']);
      // The first profile took the whole burst: the three failed requests all carried it.
      assert.deepEqual(new Set(server.requests.slice(0, 4).map((r) => r.sha256)).size, 1);
      assert.deepEqual(ledger(inputs, server, spool), { delivered: 3, spooled: 0, duplicates: 0, missing: [] });
      assert.deepEqual(jsonCounts(run.stdout), { delivered: 3, spooled: 0, rejected: 0, 'not-sent': 0, skipped: 0, dropped: 0 });
    }));

  test('a burst of 5xx longer than the attempts: the endpoint is down after one profile, every input spooled, a flush delivers them', () =>
    withServer(() => status(503), async (server) => {
      const inputs = makeInputs(4);
      const spool = tempDir();
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'f', '--concurrency', '1', '--max-attempts', '3', '--spool-dir', spool, '--json', ...FAST]);
      assert.equal(run.code, 1);
      assert.equal(server.requests.length, 3, 'one profile had its 3 attempts; the others were not attempted');
      assert.deepEqual(ledger(inputs, server, spool), { delivered: 0, spooled: 4, duplicates: 0, missing: [] });
      assert.equal(jsonCounts(run.stdout).spooled, 4);

      server.setScript(() => OK);
      const flush = await runCli(['flush', '--url', server.url, '--spool-dir', spool, '--json', ...FAST]);
      assert.equal(flush.code, 0, flush.stdout + flush.stderr);
      assert.deepEqual(ledger(inputs, server, spool), { delivered: 4, spooled: 0, duplicates: 0, missing: [] });
      assert.ok(server.stored.every((s) => s.labels.service_name === 'f'), 'the spooled labels were sent');
    }));

  test('a reset before the body is read: retried, delivered once', () =>
    withServer([{ kind: 'reset-before-body' }, { kind: 'reset-before-body' }], async (server) => {
      const inputs = makeInputs(2);
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'f', '--concurrency', '1', '--max-attempts', '5', ...FAST]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(kinds(server), ['reset-before-body', 'reset-before-body', 'ok', 'ok']);
      assert.match(run.stdout, /p000000\.pb → .* \(200, 3 attempts\)$/m);
      assert.deepEqual(ledger(inputs, server), { delivered: 2, spooled: 0, duplicates: 0, missing: [] });
    }));

  test('a reset in the middle of the answer (nothing stored): retried, delivered once', () =>
    withServer([{ kind: 'reset-mid-response' }], async (server) => {
      const inputs = makeInputs(2);
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'f', '--concurrency', '1', '--max-attempts', '5', ...FAST]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(kinds(server), ['reset-mid-response', 'ok', 'ok']);
      assert.equal(server.requests[0]?.sha256, server.requests[1]?.sha256);
      assert.deepEqual(ledger(inputs, server), { delivered: 2, spooled: 0, duplicates: 0, missing: [] });
    }));

  test('a reset after the server stored the profile: the retry stores it again (at-least-once, by nature)', () =>
    withServer([{ kind: 'reset-mid-response', stored: true }], async (server) => {
      const inputs = makeInputs(1);
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'f', '--max-attempts', '5', ...FAST]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(server.requests.length, 2);
      // The client cannot tell a lost answer from a lost request: it retries, and says delivered once.
      assert.deepEqual(ledger(inputs, server), { delivered: 1, spooled: 0, duplicates: 1, missing: [] });
      assert.match(run.stdout, /\(200, 2 attempts\)$/m);
    }));

  test('a server that hangs past --timeout: the attempt ends at the timeout and the retry delivers', () =>
    withServer([{ kind: 'hang' }], async (server) => {
      const inputs = makeInputs(1);
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'f', '--timeout', '300ms', '--max-attempts', '3', ...FAST]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(kinds(server), ['hang', 'ok']);
      assert.match(run.stderr, /timed out/);
      assert.deepEqual(ledger(inputs, server), { delivered: 1, spooled: 0, duplicates: 0, missing: [] });
    }));

  test('429 with Retry-After: the next request to the endpoint, whichever profile, waits for it', () =>
    withServer([status(429, { 'retry-after': '1' }, 'slow down')], async (server) => {
      const inputs = makeInputs(3);
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'f', '--concurrency', '2', '--min-backoff', '1ms', '--max-backoff', '5s']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(kinds(server), ['status', 'ok', 'ok', 'ok']);
      const [first, ...rest] = server.requests;
      // A lower bound only: the server asked for 1 s, so no request may come sooner.
      for (const r of rest.filter((r) => r.at > (first?.at ?? 0) + 50)) assert.ok(r.at - (first?.at ?? 0) >= 950, `request ${r.n} came ${r.at - (first?.at ?? 0)} ms after the 429`);
      assert.deepEqual(ledger(inputs, server), { delivered: 3, spooled: 0, duplicates: 0, missing: [] });
    }));

  test('400: refused, not retried, not spooled; the other input is delivered', () =>
    withServer([status(400, { 'content-type': 'application/json' }, '{"code":"invalid_argument","message":"bad profile"}')], async (server) => {
      const inputs = makeInputs(2);
      const spool = tempDir();
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'f', '--concurrency', '1', '--spool-dir', spool, '--json', ...FAST]);
      assert.equal(run.code, 1);
      assert.deepEqual(kinds(server), ['status', 'ok']);
      const counts = jsonCounts(run.stdout);
      assert.deepEqual([counts.delivered, counts.rejected, counts.spooled], [1, 1, 0]);
      const l = ledger(inputs, server, spool);
      assert.deepEqual(l, { delivered: 1, spooled: 0, duplicates: 0, missing: ['p000000.pb'] });
      assert.equal(l.delivered + l.spooled + counts.rejected, inputs.sha.size, 'every input counted');
    }));

  test('401: not retried, the endpoint is down, every input spooled; a flush with credentials delivers them', () =>
    withServer(() => status(401, {}, 'no credentials'), async (server) => {
      const inputs = makeInputs(3);
      const spool = tempDir();
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'f', '--concurrency', '1', '--max-attempts', '5', '--spool-dir', spool, '--bearer-token', 'wrong-token-1234', '--json', ...FAST]);
      assert.equal(run.code, 1);
      assert.equal(server.requests.length, 1);
      for (const name of readdirSync(spool).filter((n) => n !== 'rejected')) assert.ok(!readFileSync(join(spool, name)).includes('wrong-token-1234'), `${name} holds the token`);
      assert.deepEqual(ledger(inputs, server, spool), { delivered: 0, spooled: 3, duplicates: 0, missing: [] });

      server.setScript(() => OK);
      const flush = await runCli(['flush', '--url', server.url, '--spool-dir', spool, '--bearer-token', SECRETS.token, ...FAST]);
      assert.equal(flush.code, 0, flush.stdout + flush.stderr);
      assert.deepEqual(ledger(inputs, server, spool), { delivered: 3, spooled: 0, duplicates: 0, missing: [] });
      assert.ok(server.stored.every((s) => s.authorization === `Bearer ${SECRETS.token}`));
    }));

  test('a slow trickle of the answer within --timeout: delivered at the first attempt', () =>
    withServer([{ kind: 'trickle', everyMs: 30, bytes: 10, stored: true }], async (server) => {
      const inputs = makeInputs(1);
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'f', '--timeout', '5s', ...FAST]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(server.requests.length, 1);
      assert.match(run.stdout, /\(200, 1 attempt\)$/m);
      assert.deepEqual(ledger(inputs, server), { delivered: 1, spooled: 0, duplicates: 0, missing: [] });
    }));

  test('an answer that trickles for ever: --timeout ends the attempt (the body read included), the retry delivers', () =>
    withServer([{ kind: 'trickle', everyMs: 50, bytes: Number.MAX_SAFE_INTEGER }], async (server) => {
      const inputs = makeInputs(1);
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'f', '--timeout', '400ms', '--max-attempts', '3', ...FAST]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(kinds(server), ['trickle', 'ok']);
      assert.deepEqual(ledger(inputs, server), { delivered: 1, spooled: 0, duplicates: 0, missing: [] });
    }));

  test('down for a while, then up on the same port: the backoff outlasts it, everything delivered once', () =>
    withServer([], async (server) => {
      const inputs = makeInputs(3);
      const back = server.downFor(400);
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'f', '--concurrency', '3', '--max-attempts', '10', '--min-backoff', '50ms', '--max-backoff', '200ms']);
      await back;
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stderr, /connection refused/);
      assert.deepEqual(kinds(server), ['ok', 'ok', 'ok'], 'refused connections never reached it');
      assert.deepEqual(ledger(inputs, server), { delivered: 3, spooled: 0, duplicates: 0, missing: [] });
    }));

  test('down for longer than the retries: spooled; once it is up, a flush delivers every one', () =>
    withServer([], async (server) => {
      const inputs = makeInputs(5);
      const spool = tempDir();
      const back = server.downFor(1000);
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'f', '--max-attempts', '2', '--spool-dir', spool, '--json', ...FAST]);
      assert.equal(run.code, 1);
      assert.equal(jsonCounts(run.stdout).spooled, 5);
      assert.deepEqual(ledger(inputs, server, spool), { delivered: 0, spooled: 5, duplicates: 0, missing: [] });
      await back;
      const flush = await runCli(['flush', '--url', server.url, '--spool-dir', spool]);
      assert.equal(flush.code, 0, flush.stdout + flush.stderr);
      assert.equal(server.requests.length, 5);
      assert.deepEqual(ledger(inputs, server, spool), { delivered: 5, spooled: 0, duplicates: 0, missing: [] });
    }));
});

/** The failures the soak draws from: none of them stores the profile, so a retry may not duplicate it. */
const SOAK_FAILURES: Behaviour[] = [
  status(503),
  status(500, { 'content-type': 'application/json' }, '{"code":"unavailable","message":"ingester"}'),
  status(429),
  { kind: 'reset-before-body' },
  { kind: 'reset-mid-response' },
];

describe('soak', () => {
  test('2 000 profiles, 20 % of requests failing (seeded): delivered + spooled = 2 000, none twice, memory flat', async () => {
    const N = 2000;
    // ~40 KiB each: if a run kept every profile it had read or sent, the second half of the run alone
    // would hold 1 000 × 40 KiB ≈ 40 MiB more, and more again for each copy (request body, spool write).
    const inputs = makeInputs(N, 660);
    assert.ok(inputs.size > 36_000 && inputs.size < 44_000, `profile size ${inputs.size}`);
    const random = seeded(20260801);
    // After DEATH requests the endpoint answers 503 for good: the first profile that exhausts its attempts
    // marks it down and the rest goes to the spool — both paths in one run. Before that, 10 attempts make
    // it vanishingly unlikely (0.2¹⁰ per profile) that a profile exhausts them on random failures alone.
    const DEATH = 1800;
    const script = (n: number): Behaviour => (n > DEATH ? status(503) : random() < 0.2 ? (SOAK_FAILURES[Math.floor(random() * SOAK_FAILURES.length)] as Behaviour) : OK);
    await withServer(script, async (server) => {
      const spool = tempDir();
      const samples: Array<{ rss: number; retained: number }> = [];
      // Each sample after a full GC: `retained` (heap in use + array buffers) is what the process still
      // holds, free of V8's lazy collection; rss is what the system sees.
      const sampler = setInterval(() => {
        gc();
        const m = process.memoryUsage();
        samples.push({ rss: m.rss, retained: m.heapUsed + m.arrayBuffers });
      }, 100);
      const run = await runCli([inputs.dir, '--url', server.url, '--service-name', 'soak', '--spool-dir', spool, '--max-attempts', '10', '--json', ...FAST]);
      clearInterval(sampler);
      assert.equal(run.code, 1, run.stderr);
      const counts = jsonCounts(run.stdout);
      const l = ledger(inputs, server, spool);
      assert.deepEqual(l.missing, []);
      assert.equal(l.duplicates, 0, 'no profile delivered twice within a run');
      assert.equal(l.delivered + l.spooled, N);
      assert.deepEqual([counts.delivered, counts.spooled, counts['not-sent'], counts.rejected], [l.delivered, l.spooled, 0, 0], 'the CLI counts what the server and the spool hold');
      assert.ok(l.delivered > 0 && l.spooled > 0, `delivered ${l.delivered}, spooled ${l.spooled}`);
      // Before its death, a fifth of the requests failed (the same ones on every run: the seed decides by request number).
      const failed = server.requests.filter((r) => r.n <= DEATH && r.behaviour !== 'ok').length;
      assert.ok(server.requests.length > DEATH && failed > 0.17 * DEATH && failed < 0.23 * DEATH, `${failed} of ${server.requests.length} requests failed`);

      // Memory flat: no growth with the number of profiles handled. The first quarter of the samples is
      // warm-up (code loading, JIT, pools filling). Then the floor (lowest sample) of the last quarter is
      // compared with the floor of the second quarter, ~1 000 profiles earlier: a floor is what stays
      // whatever is in flight at that moment, so a leak raises it, a burst of spool writes does not.
      // The run must keep per profile its result only (labels, state, a line); with the server's own
      // records that measured 3–6 KiB per profile here. Keeping each profile's bytes would add 40 KiB per
      // profile (one copy), ~40 MiB per 1 000: the bound on `retained` is 16 MiB. rss also follows V8's
      // heap sizing and the allocator (10–25 MiB of growth here without any leak), so its bound, 48 MiB,
      // only catches a leak of more than one copy; `retained` is the precise one.
      assert.ok(samples.length >= 12, `${samples.length} samples`);
      const q = Math.floor(samples.length / 4);
      const floor = (key: 'rss' | 'retained', from: number, to: number) => Math.min(...samples.slice(from, to).map((s) => s[key]));
      const growth = (key: 'rss' | 'retained') => floor(key, 3 * q, samples.length) - floor(key, q, 2 * q);
      const MiB = 1024 * 1024;
      const show = (key: 'rss' | 'retained') => `${key} ${(floor(key, q, 2 * q) / MiB).toFixed(1)} → ${(floor(key, 3 * q, samples.length) / MiB).toFixed(1)} MiB`;
      console.log(`# soak: ${server.requests.length} requests, ${failed} failed, ${l.delivered} delivered, ${l.spooled} spooled; ${show('retained')}, ${show('rss')} (${samples.length} samples)`);
      if (process.env.SOAK_SAMPLES) console.log(`# ${samples.map((s) => `${(s.retained / MiB).toFixed(1)}/${(s.rss / MiB).toFixed(0)}`).join(' ')}`);
      assert.ok(growth('retained') < 16 * MiB, `retained memory grew by ${(growth('retained') / MiB).toFixed(1)} MiB in the second half of the run`);
      assert.ok(growth('rss') < 48 * MiB, `rss grew by ${(growth('rss') / MiB).toFixed(1)} MiB in the second half of the run`);

      // What was spooled goes out with the next run, each once across both runs.
      server.setScript(() => OK);
      const flush = await runCli(['flush', '--url', server.url, '--spool-dir', spool, '--json', ...FAST]);
      assert.equal(flush.code, 0, flush.stderr);
      assert.equal(jsonCounts(flush.stdout).delivered, l.spooled);
      assert.deepEqual(ledger(inputs, server, spool), { delivered: N, spooled: 0, duplicates: 0, missing: [] });
    });
  });
});

describe('signals', () => {
  test('SIGINT mid-run of 500 files against a slow server: exit 130, counts add up; the next run delivers the rest, nothing twice', () =>
    withServer(() => ({ kind: 'ok', delayMs: 40 }), async (server) => {
      const N = 500;
      const inputs = makeInputs(N);
      const spool = tempDir();
      const child = spawn(process.execPath, [BIN, inputs.dir, '--url', server.url, '--service-name', 'sig', '--spool-dir', spool, '--concurrency', '4'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      let exited = false;
      const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code))).finally(() => (exited = true));
      while (server.stored.length < 50 && !exited) await sleep(10);
      child.kill('SIGINT');
      const code = await closed;
      assert.equal(code, 130, stdout.slice(-2000) + stderr);

      const summary = /^(\d+) of (\d+) pushes not delivered \(500 profiles to 1 endpoint, [^)]+\): (.+)$/m.exec(stdout);
      assert.ok(summary, stdout.slice(-2000));
      const parts = Object.fromEntries((summary[3] as string).split(', ').map((p) => [p.replace(/^\d+ /, ''), Number.parseInt(p, 10)]));
      const first = ledger(inputs, server, spool);
      assert.deepEqual(first.missing, [], 'every input stored or spooled');
      assert.equal(first.duplicates, 0);
      assert.equal((parts.delivered ?? 0) + (parts.spooled ?? 0) + (parts['not sent'] ?? 0), N, summary[0]);
      assert.equal(parts.delivered ?? 0, first.delivered, 'the summary counts what the server stored');
      assert.equal(parts.spooled ?? 0, first.spooled, 'the summary counts what the spool holds');
      assert.equal(first.delivered + first.spooled, N);
      assert.ok(first.spooled > 0 && first.delivered >= 50, `delivered ${first.delivered}, spooled ${first.spooled}`);
      const storedBefore = server.stored.length;

      server.setScript(() => OK);
      const flush = await runCli(['flush', '--url', server.url, '--spool-dir', spool, '--json']);
      assert.equal(flush.code, 0, flush.stdout + flush.stderr);
      assert.equal(jsonCounts(flush.stdout).delivered, first.spooled);
      assert.equal(server.stored.length - storedBefore, first.spooled);
      assert.deepEqual(ledger(inputs, server, spool), { delivered: N, spooled: 0, duplicates: 0, missing: [] }, 'nothing delivered twice across the two runs');
    }));
});
