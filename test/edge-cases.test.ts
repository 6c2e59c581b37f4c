import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { Profile } from 'pprof-format';
import { PUSH_PATH } from '../src/protocol/push-api.js';
import { push } from '../src/push.js';
import { expandInputs } from '../src/sources/find-inputs.js';
import { InputChangedError, ReadSession, STDIN, readInput, loadBytes } from '../src/sources/inputs.js';
import { type Receiver, type ReceiverOptions, type ScriptedReply, createPushHandler, startReceiver } from '../src/receiver/receiver.js';
import { BIN, fixture, runCli, tempDir, writeTemp } from './helpers.js';

const FAST = ['--min-backoff', '1ms', '--max-backoff', '5ms'];
const CPU = fixture('cpu.pb.gz');
const HEAP = fixture('heap.pb');
/** Where nothing listens; one attempt, so that a regression that does send fails fast instead of retrying. */
const NOWHERE = ['--url', 'http://127.0.0.1:1', '--max-attempts', '1'];

async function withReceiver(script: ((count: number) => ScriptedReply | undefined) | undefined, fn: (r: Receiver) => Promise<void>, opts: ReceiverOptions = {}) {
  const r = await startReceiver('127.0.0.1', 0, { ...opts, ...(script && { script: ({ count }) => script(count) }) });
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

/** A plain node:http server for answers the receiver cannot script: stalls, resets, delays. */
async function withServer(handler: (req: IncomingMessage, res: ServerResponse) => void, fn: (url: string) => Promise<void>) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The receiver's own handler behind a delay, counting requests in flight at once. */
async function withSlowReceiver(delayMs: number, fn: (url: string, stats: { received: unknown[]; requests: () => number; maxInFlight: () => number }) => Promise<void>) {
  const { handler, received, requests } = createPushHandler();
  let inFlight = 0;
  let max = 0;
  await withServer(
    (req, res) => {
      max = Math.max(max, ++inFlight);
      res.on('close', () => inFlight--);
      // A request the client gave up on (--deadline) rejects inside the handler: nothing to answer then.
      void sleep(delayMs)
        .then(() => handler(req, res))
        .catch(() => res.destroy());
    },
    (url) => fn(url, { received, requests, maxInFlight: () => max }),
  );
}

/** `n` distinct files with the same profile in a fresh directory (distinct paths, so none is deduplicated). */
function copies(n: number): string {
  const dir = tempDir();
  for (let i = 0; i < n; i++) writeTemp(dir, `p${i}.pb.gz`, readFileSync(CPU));
  return dir;
}

/** Drains the request body, answers 200 with headers only, then never finishes the body. */
const stall = (req: IncomingMessage, res: ServerResponse) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/proto' });
    res.flushHeaders();
  });
};

const noStack = (text: string) => assert.ok(!/\n\s+at /.test(text), `no stack trace in: ${text}`);

describe('a response body that fails is a failed attempt, not a crash (exit 1, never 3)', () => {
  test('headers then a stall past --timeout: "timed out after 300ms"', () =>
    withServer(stall, async (url) => {
      const run = await runCli([CPU, '--url', url, '--service-name', 'a', '--timeout', '300ms', '--max-attempts', '1']);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout, /push failed: .*timed out after 300ms after 1 attempt/);
      noStack(run.stderr);
    }));

  test('a stalled endpoint does not hide a good one: --json reports each', () =>
    withServer(stall, (stalled) =>
      withReceiver(undefined, async (good) => {
        const run = await runCli([CPU, '--url', stalled, '--url', good.url, '--service-name', 'a', '--timeout', '300ms', '--max-attempts', '1', '--json']);
        assert.equal(run.code, 1, run.stderr);
        const doc = JSON.parse(run.stdout);
        const byEndpoint = Object.fromEntries(doc.profiles[0].endpoints.map((e: { endpoint: string }) => [e.endpoint, e]));
        assert.equal(byEndpoint[good.url].status, 'delivered');
        assert.equal(byEndpoint[stalled].status, 'not-sent');
        assert.match(byEndpoint[stalled].error, /timed out after 300ms/);
        assert.equal(good.received.length, 1);
      }),
    ));

  test('a connection reset in the middle of the body', () =>
    withServer(
      (req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-length': '1000' });
          res.write('half a body');
          setTimeout(() => res.socket?.destroy(), 20);
        });
      },
      async (url) => {
        const run = await runCli([CPU, '--url', url, '--service-name', 'a', '--max-attempts', '2', ...FAST]);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.match(run.stdout, /push failed: .*connection closed by the server after 2 attempts/);
        noStack(run.stderr);
      },
    ));
});

describe('redirects', () => {
  test('a 302 to an unparsable Location is reported, not thrown', () =>
    withReceiver(() => ({ status: 302, headers: { location: 'http://[bad' } }), async (r) => {
      const run = await runCli([CPU, '--url', r.url, '--service-name', 'a', ...FAST]);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout, /302 Found after 1 attempt: redirect to an invalid Location "http:\/\/\[bad"/);
      assert.equal(r.requests(), 1, 'a 3xx is not retried');
    }));

  test('a 301 re-sends the same POST: the profile arrives byte-identical', () =>
    withReceiver((n) => (n === 1 ? { status: 301, headers: { location: PUSH_PATH } } : undefined), async (r) => {
      const run = await runCli([CPU, '--url', r.url, '--service-name', 'a']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      // Had the client turned it into a GET, the receiver would answer 405 and record nothing.
      assert.equal(r.requests(), 2);
      assert.deepEqual(Buffer.from(r.received[0]!.rawProfile), readFileSync(CPU));
    }));
});

describe('time limits', () => {
  test('--timeout above Node’s timer limit is refused', async () => {
    const run = await runCli([CPU, ...NOWHERE, '--timeout', '2000h']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--timeout: "2000h" is longer than Node can wait/);
  });

  test('profiles whose turn comes after --deadline are not sent', () =>
    withSlowReceiver(200, async (url, s) => {
      // Profile 1 takes ~200ms, profile 2 is cut at 300ms by the deadline, 3 and 4 never start.
      const run = await runCli([copies(4), '--url', url, '--service-name', 'a', '--deadline', '300ms', '--concurrency', '1', ...FAST]);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.ok(s.requests() <= 2, `server saw ${s.requests()} requests`);
      const notSent = run.stdout.match(/not sent: stopped by --deadline 300ms before its turn/g) ?? [];
      assert.ok(notSent.length >= 2, run.stdout);
      assert.match(run.stdout, /p3\.pb\.gz → .*not sent: stopped by --deadline 300ms before its turn/);
      // The request in flight at the deadline is cut, and says so (not "timed out").
      assert.match(run.stdout, /p1\.pb\.gz → .*: stopped by --deadline 300ms during attempt 1$/m);
    }));
});

describe('retry decisions', () => {
  test('a 503 with a non-Connect JSON code is classified by its status and retried', () =>
    withReceiver((n) => (n <= 2 ? { status: 503, body: '{"code":"UNAVAILABLE"}', headers: { 'content-type': 'application/json' } } : undefined), async (r) => {
      const run = await runCli([CPU, '--url', r.url, '--service-name', 'a', ...FAST]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(r.requests(), 3);
      assert.match(run.stdout, /\(200, 3 attempts\)/);
    }));

  test('Retry-After: 1.5 is not a date: the normal backoff applies', () =>
    withReceiver((n) => (n === 1 ? { status: 503, headers: { 'retry-after': '1.5' } } : undefined), async (r) => {
      const run = await runCli([CPU, '--url', r.url, '--service-name', 'a', '--min-backoff', '10ms', '--max-backoff', '20ms']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      // The first backoff is uniform in [10ms, 20ms); read as a date in the past it would be 0s.
      assert.match(run.stderr, /next try in 1\dms/);
      assert.doesNotMatch(run.stderr, /next try in 0s/);
    }));
});

describe('mistakes caught before sending (exit 2, nothing sent)', () => {
  test('a YAML header value with a line break', () =>
    withReceiver(undefined, async (r) => {
      const config = writeTemp(tempDir(), 'c.yaml', `endpoints:\n  - url: ${r.url}\n    headers: { X-A: "a\\nb" }\n`);
      const run = await runCli([CPU, '--config', config, '--service-name', 'a', '--max-attempts', '1']);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.match(run.stderr, /the value of X-A has a line break or NUL/);
      assert.equal(r.requests(), 0);
    }));

  test("--bearer-token '' is refused", () =>
    withReceiver(undefined, async (r) => {
      const run = await runCli([CPU, '--url', r.url, '--service-name', 'a', '--bearer-token', '', '--max-attempts', '1']);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.match(run.stderr, /--bearer-token is empty/);
      assert.equal(r.requests(), 0);
    }));

  test('an empty PYROSCOPE_BEARER_TOKEN is ignored with a warning (CI’s missing secret)', () =>
    withReceiver(undefined, async (r) => {
      const run = await runCli([CPU, '--url', r.url, '--service-name', 'a'], { env: { PYROSCOPE_BEARER_TOKEN: '' } });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stderr, /warning: PYROSCOPE_BEARER_TOKEN is set but empty; ignored/);
      assert.equal(r.received[0]!.headers.authorization, undefined);
    }));

  test('a URL with a lone "?" or a query holding a key; the key is never printed', () =>
    withReceiver(undefined, async (r) => {
      const secret = 'qs-key-8c8c8c8c';
      for (const url of [`${r.url}/?`, `${r.url}/?api_key=${secret}`]) {
        const run = await runCli([CPU, '--url', url, '--service-name', 'a', '--max-attempts', '1'], { secrets: [secret] });
        assert.equal(run.code, 2, `${url}: ${run.stdout}${run.stderr}`);
        assert.match(run.stderr, /has a query or fragment; give the server's base URL/);
      }
      assert.equal(r.requests(), 0);
    }));

  test('--oauth2-scope alone asks for a client id', async () => {
    const run = await runCli([CPU, ...NOWHERE, '--oauth2-scope', 'x']);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /oauth2 needs a client id: set --oauth2-client-id/);
  });

  test('--dry-run still checks the proxy variables of --proxy-from-environment', async () => {
    const run = await runCli([CPU, ...NOWHERE, '--dry-run', '--proxy-from-environment'], { env: { HTTP_PROXY: 'ftp://x' } });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /HTTP_PROXY \(--proxy-from-environment\): "ftp:\/\/x\/" must start with http:\/\/ or https:\/\//);
  });

  test('--service-name and -l service_name together, and an empty --service-name', async () => {
    let run = await runCli([CPU, ...NOWHERE, '-l', 'service_name=q', '--service-name', 'a']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /label service_name given twice/);
    run = await runCli([CPU, ...NOWHERE, '--service-name', '']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--service-name is empty/);
  });

  test('--json with an unknown flag: a JSON document with error.code USAGE', async () => {
    const run = await runCli([CPU, '--json', '--bogus-flag']);
    assert.equal(run.code, 2);
    const doc = JSON.parse(run.stdout);
    assert.equal(doc.error.code, 'USAGE');
    assert.match(doc.error.messages.join('\n'), /unknown option '--bogus-flag'/);
  });

  test('receive --port must be a number', () => {
    for (const port of ['abc', '']) {
      // Not runCli: were '' read as port 0, the receiver would listen until killed, so the wait is bounded.
      const run = spawnSync(process.execPath, [BIN, 'receive', '--port', port], { encoding: 'utf8', timeout: 5000, env: { PATH: process.env.PATH ?? '' } });
      assert.equal(run.status, 2, `--port ${JSON.stringify(port)}: ${run.stderr}`);
      assert.match(run.stderr, /--port ".*": expected a port number from 0 to 65535/);
    }
  });
});

describe('inputs', () => {
  test('a directory with a dangling symlink: one line naming it, exit 2, nothing sent', () =>
    withReceiver(undefined, async (r) => {
      const dir = tempDir();
      writeTemp(dir, 'good.pb.gz', readFileSync(CPU));
      symlinkSync(join(dir, 'gone.pb.gz'), join(dir, 'dangling.pb.gz'));
      const run = await runCli([dir, '--url', r.url, '--service-name', 'a']);
      assert.equal(run.code, 2);
      assert.equal(run.stderr, `error: ${join(dir, 'dangling.pb.gz')}: a symlink to nothing (its target does not exist); remove it or point it at a profile\n`);
      assert.equal(r.requests(), 0);
    }));

  test('the same file by three spellings is sent once', () =>
    withReceiver(undefined, async (r) => {
      const dir = tempDir();
      const file = writeTemp(dir, 'f.pb.gz', readFileSync(CPU));
      symlinkSync(file, join(dir, 'link.pb.gz'));
      // path.join would normalise the "/./" away, so the third spelling is written by hand.
      const run = await runCli([file, join(dir, 'link.pb.gz'), `${dir}/./f.pb.gz`, '--url', r.url, '--service-name', 'a']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(r.requests(), 1);
      assert.match(run.stdout, /pushed 1 profile to 1 endpoint/);
    }));

  test('one directory holding a file and a symlink to it: the file is sent once', () =>
    withReceiver(undefined, async (r) => {
      const dir = tempDir();
      writeTemp(dir, 'f.pb.gz', readFileSync(CPU));
      symlinkSync(join(dir, 'f.pb.gz'), join(dir, 'link.pb.gz'));
      const run = await runCli([dir, '--url', r.url, '--service-name', 'a']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(r.requests(), 1);
    }));

  test('names from folders only are "listed" (read without a stat first); any name the user gave makes the run not', async () => {
    const dir = tempDir();
    const sub = tempDir();
    const file = writeTemp(dir, 'f.pb.gz', readFileSync(CPU));
    writeTemp(sub, 'g.pb', readFileSync(CPU));
    symlinkSync(file, join(sub, 'link.pb.gz'));
    assert.deepEqual(await expandInputs([dir]), { names: [file], listed: true });
    // Spelled as join() spells them, however the folder was.
    assert.deepEqual((await expandInputs([`${dir}//./`])).names, [file]);
    assert.deepEqual(await expandInputs([dir, sub]), { names: [file, join(sub, 'g.pb')], listed: true });
    assert.deepEqual(await expandInputs([dir, file]), { names: [file], listed: false });
    assert.deepEqual(await expandInputs([file]), { names: [file], listed: false });
    assert.deepEqual(await expandInputs([STDIN, dir]), { names: [STDIN, file], listed: false });
  });

  test('a file changed between validation and sending: past the kept bounds it is refused by loadBytes, within them what was checked is sent', async () => {
    const path = writeTemp(tempDir(), 'p.pb.gz', readFileSync(CPU));
    const noStdin = { isTTY: false, read: async () => new Uint8Array() };
    const reread = await readInput(path, noStdin, undefined, {}, new ReadSession({ bounds: { inputs: 0, bytes: 0 } }));
    const kept = await readInput(path, noStdin, undefined, {}, new ReadSession({ bounds: { inputs: 1, bytes: 1024 } }));
    assert.equal(reread.bytes, undefined);
    writeFileSync(path, readFileSync(HEAP));
    await assert.rejects(loadBytes(reread), /changed after it was validated; not sent/);
    assert.deepEqual(await loadBytes(kept), readFileSync(CPU));
  });

  test('a file read again to be sent (no stat first) that is gone, a folder or a named pipe now is not sent, and says why', async () => {
    const path = writeTemp(tempDir(), 'p.pb.gz', readFileSync(CPU));
    const noStdin = { isTTY: false, read: async () => new Uint8Array() };
    const reread = await readInput(path, noStdin, undefined, {}, new ReadSession({ bounds: { inputs: 0, bytes: 0 } }));
    rmSync(path);
    await assert.rejects(loadBytes(reread), (err: Error) => err instanceof InputChangedError && err.message === `${path}: no such file or directory since it was validated; not sent`);
    mkdirSync(path);
    await assert.rejects(loadBytes(reread), (err: Error) => err instanceof InputChangedError && err.message === `${path} is no longer a regular file; not sent`);
    rmSync(path, { recursive: true });
    // A pipe with no writer: read, it would wait for one for ever (the signal cannot end a blocked open).
    execFileSync('mkfifo', [path]);
    await assert.rejects(loadBytes(reread, new AbortController().signal), (err: Error) => err instanceof InputChangedError && err.message === `${path} is no longer a regular file; not sent`);
  });

  test('--remove-sent leaves a file that changed since it was read, and says so', () =>
    withReceiver(undefined, async (r) => {
      const dir = tempDir();
      const path = writeTemp(dir, 'p.pb.gz', readFileSync(CPU));
      // The producer rewrites the file while the push is out: the profile it holds now is not the one sent.
      const warnings: string[] = [];
      const report = await push([path], { url: r.url, serviceName: 'a', removeSent: true }, { onPlan: () => writeFileSync(path, readFileSync(HEAP)), onWarning: (w) => warnings.push(w) });
      assert.equal(report.results[0]?.endpoints[0]?.state, 'delivered');
      assert.equal(r.requests(), 1);
      assert.deepEqual(readFileSync(path), readFileSync(HEAP));
      assert.deepEqual(warnings, [`${path}: delivered, but the file changed since it was read, so it was left in place; the next run will send what it holds now`]);
    }));

  test('--override-timestamp on a raw profile: still raw, decodes, time is now', () =>
    withReceiver(undefined, async (r) => {
      const before = BigInt(Date.now()) * 1_000_000n;
      const run = await runCli([HEAP, '--url', r.url, '--service-name', 'a', '--override-timestamp']);
      const after = BigInt(Date.now()) * 1_000_000n;
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const raw = r.received[0]!.rawProfile;
      assert.notDeepEqual([raw[0], raw[1]], [0x1f, 0x8b], 'not gzipped on the way');
      const timeNanos = BigInt(Profile.decode(raw).timeNanos);
      assert.ok(timeNanos >= before && timeNanos <= after, `${timeNanos} not in [${before}, ${after}]`);
    }));
});

describe('delivery', () => {
  test('one series per request', () =>
    withReceiver(undefined, async (r) => {
      const run = await runCli([copies(3), '--url', r.url, '--service-name', 'a']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      // The receiver accepts several series in one request: equal counts mean one each.
      assert.equal(r.requests(), 3);
      assert.equal(r.received.length, 3);
    }));

  test('--concurrency 2 means at most (and, with 6 slow replies, exactly) 2 requests in flight', () =>
    withSlowReceiver(100, async (url, s) => {
      const run = await runCli([copies(6), '--url', url, '--service-name', 'a', '--concurrency', '2']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(s.received.length, 6);
      assert.equal(s.maxInFlight(), 2);
    }));

  test('--quiet with a failure: stdout empty, the failure on stderr', () =>
    withReceiver(() => ({ status: 400, body: 'nope' }), async (r) => {
      const run = await runCli([CPU, '--url', r.url, '--service-name', 'a', '--quiet']);
      assert.equal(run.code, 1);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /✖ .*cpu\.pb\.gz → .*400 Bad Request after 1 attempt: nope/);
    }));

  test('a reader that goes away early (| head -1) does not stop the pushes', () =>
    withSlowReceiver(20, async (url, s) => {
      const dir = copies(10);
      // Exits with pyro-push's own code, not head's.
      const pipeline = `"${process.execPath}" "${BIN}" "${dir}" --url ${url} --service-name a --concurrency 1 | head -1; exit \${PIPESTATUS[0]}`;
      const child = spawn('bash', ['--norc', '--noprofile', '-c', pipeline], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(stdout.split('\n').filter(Boolean).length, 1, 'head printed one line');
      assert.equal(s.received.length, 10, stderr);
      assert.equal(code, 0, stderr);
      noStack(stderr);
      assert.doesNotMatch(stderr, /EPIPE|internal error/);
    }));

  test('receive --out: a service name with ../ cannot leave the directory', () => {
    const root = tempDir();
    const out = join(root, 'a', 'out');
    return withReceiver(
      undefined,
      async (r) => {
        const run = await runCli([CPU, '--url', r.url, '--service-name', '../../evil']);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.deepEqual(readdirSync(out), ['0001-__.._evil-process_cpu.pb.gz']);
        assert.deepEqual(readdirSync(root), ['a'], 'nothing written beside the out directory');
        assert.deepEqual(readdirSync(join(root, 'a')), ['out']);
        assert.deepEqual(readFileSync(join(out, '0001-__.._evil-process_cpu.pb.gz')), readFileSync(CPU));
      },
      { outDir: out },
    );
  });
});

describe('colour', () => {
  // `script` runs the CLI on a pseudo-terminal, so its stdout is a TTY as in a person's shell. It must be
  // spawned asynchronously: the receiver answering it lives in this process.
  const hasScript = spawnSync('script', ['--version']).status === 0;
  const onTty = async (url: string, extra: string, env: Record<string, string> = {}) => {
    const cli = `"${process.execPath}" "${BIN}" "${CPU}" --url ${url} --service-name a --max-attempts 1 ${extra} 2>/dev/null`;
    const child = spawn('script', ['-qec', cli, '/dev/null'], { env: { PATH: process.env.PATH ?? '', SHELL: '/bin/sh', TERM: 'xterm', ...env } });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout };
  };

  test('on a terminal: colour by default, none with NO_COLOR=1 or --no-color', { skip: !hasScript && 'util-linux script is not installed' }, () =>
    withReceiver(undefined, async (r) => {
      const plain = await onTty(r.url, '');
      assert.equal(plain.code, 0, plain.stdout);
      assert.match(plain.stdout, /\x1b\[32m✔/, 'ANSI colour on a TTY');
      for (const [extra, env] of [['', { NO_COLOR: '1' }], ['--no-color', {}]] as const) {
        const run = await onTty(r.url, extra, env);
        assert.equal(run.code, 0, run.stdout);
        assert.match(run.stdout, /✔ .*cpu\.pb\.gz/, 'the result line is there');
        assert.doesNotMatch(run.stdout, /\x1b\[/, `no ANSI with ${extra || 'NO_COLOR=1'}`);
      }
      assert.equal(r.received.length, 3);
    }));
});

describe('YAML anchors and aliases', () => {
  test('an alias reuses endpoint 0’s headers for endpoint 1', () =>
    withReceiver(undefined, (a) =>
      withReceiver(undefined, async (b) => {
        const yaml = `endpoints:\n  - url: ${a.url}\n    headers: &common { X-Team: blue }\n  - url: ${b.url}\n    headers: *common\n`;
        const run = await runCli([CPU, '--config', writeTemp(tempDir(), 'c.yaml', yaml), '--service-name', 'a']);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.equal(a.received[0]!.headers['x-team'], 'blue');
        assert.equal(b.received[0]!.headers['x-team'], 'blue');
      }),
    ));

  test('a merge key (<<) is refused by name', () =>
    withReceiver(undefined, async (r) => {
      const yaml = `endpoints:\n  - &first\n    url: ${r.url}\n  - <<: *first\n    name: copy\n`;
      const run = await runCli([CPU, '--config', writeTemp(tempDir(), 'c.yaml', yaml), '--service-name', 'a']);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.match(run.stderr, /c\.yaml:4: endpoints\[1\]\.<<: merge keys are not supported/);
      assert.equal(r.requests(), 0);
    }));

  test(
    'a merge key inside headers is refused by name too',
    () =>
      withReceiver(undefined, async (r) => {
        const yaml = `endpoints:\n  - url: ${r.url}\n    headers: &common { X-Team: blue }\n  - url: ${r.url}/other\n    headers: { <<: *common, X-B: c }\n`;
        const run = await runCli([CPU, '--config', writeTemp(tempDir(), 'c.yaml', yaml), '--service-name', 'a']);
        assert.equal(run.code, 2, run.stdout + run.stderr);
        assert.match(run.stderr, /endpoints\[1\]\.headers\.<<: merge keys are not supported/);
        assert.equal(r.requests(), 0);
      }),
  );
});
