import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Profile, StringTable, ValueType } from 'pprof-format';
import { after, before, describe, test } from 'node:test';
import { type Receiver, type ScriptedReply, startReceiver } from '../src/receiver/receiver.js';
import { SECRETS, fixture, runCli, tempDir, writeTemp } from './helpers.js';

const FAST = ['--min-backoff', '1ms', '--max-backoff', '5ms'];
const CPU = fixture('cpu.pb.gz');
const HEAP = fixture('heap.pb');

async function withReceiver(script: ((count: number) => ScriptedReply | undefined) | undefined, fn: (r: Receiver) => Promise<void>) {
  const r = await startReceiver('127.0.0.1', 0, script ? { script: ({ count }) => script(count) } : {});
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

describe('a push arrives as sent', () => {
  let r: Receiver;
  before(async () => (r = await startReceiver('127.0.0.1', 0)));
  after(() => r.close());

  test('bytes identical (gzipped and raw), labels, headers', async () => {
    const run = await runCli([CPU, HEAP, '--url', r.url, '--service-name', 'api', '-l', 'env=ci', '--tenant-id', 'team-1', '-H', 'X-Extra: yes']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(r.received.length, 2);
    const byName = Object.fromEntries(r.received.map((p) => [p.labels.__name__, p]));
    assert.deepEqual(Buffer.from(byName.process_cpu!.rawProfile), readFileSync(CPU));
    assert.deepEqual(Buffer.from(byName.memory!.rawProfile), readFileSync(HEAP));
    assert.deepEqual(byName.process_cpu!.labels, { __name__: 'process_cpu', __delta__: 'false', env: 'ci', service_name: 'api' });
    const h = byName.memory!.headers;
    assert.deepEqual([h['content-type'], h['connect-protocol-version'], h['x-scope-orgid'], h['x-extra'], h['connect-timeout-ms']], ['application/proto', '1', 'team-1', 'yes', '10000']);
    assert.match(String(h['user-agent']), /^pyro-push\/\d+\.\d+\.\d+/);
    assert.match(byName.memory!.id, /^[0-9a-f-]{36}$/);
    assert.match(run.stdout, /✔ .*cpu\.pb\.gz → http:\/\/127\.0\.0\.1:\d+ \(200, 1 attempt\)/);
    assert.match(run.stdout, /pushed 2 profiles to 1 endpoint in/);
  });

  test('stdin', async () => {
    const before = r.received.length;
    const run = await runCli(['-', '--url', r.url, '--service-name', 'piped'], { stdin: readFileSync(CPU) });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(Buffer.from(r.received[before]!.rawProfile), readFileSync(CPU));
    assert.equal(r.received[before]!.labels.service_name, 'piped');
  });

  test('a directory sends each of its files', async () => {
    const dir = tempDir();
    writeTemp(dir, 'a.pb.gz', readFileSync(CPU));
    writeTemp(dir, 'b.pb', readFileSync(HEAP));
    symlinkSync(CPU, join(dir, 'c-link.pb.gz'));
    mkdirSync(join(dir, 'sub'));
    const before = r.received.length;
    const run = await runCli([dir, '--url', r.url, '--service-name', 'dir']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(r.received.length - before, 3, 'two files and a symlink; the subdirectory is not a file');
  });

  test('auth headers: basic from flags, bearer from env; secrets never printed', async () => {
    const before = r.received.length;
    let run = await runCli([CPU, '--url', r.url, '--service-name', 'a', '--username', 'u', '--password', SECRETS.password, '--verbose']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(r.received[before]!.headers.authorization, `Basic ${Buffer.from(`u:${SECRETS.password}`).toString('base64')}`);
    assert.match(run.stderr, /authorization: <secret>/);
    run = await runCli([CPU, '--url', r.url, '--service-name', 'a', '--verbose', '--dry-run', '-H', `X-Api-Key: ${SECRETS.headerToken}`], { env: { PYROSCOPE_BEARER_TOKEN: SECRETS.envToken } });
    assert.equal(run.code, 0);
    assert.match(run.stdout, /auth Bearer <secret>/);
    assert.match(run.stdout, /X-Api-Key: <secret>/);
    run = await runCli([CPU, '--url', r.url, '--service-name', 'a'], { env: { PYROSCOPE_BEARER_TOKEN: SECRETS.envToken } });
    assert.equal(r.received.at(-1)!.headers.authorization, `Bearer ${SECRETS.envToken}`);
  });

  test('a password file is read at send time', async () => {
    const dir = tempDir();
    const pw = writeTemp(dir, 'pw', `${SECRETS.filePassword}\n`);
    const run = await runCli([CPU, '--url', r.url, '--service-name', 'a', '--username', 'u', '--password-file', pw]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(r.received.at(-1)!.headers.authorization, `Basic ${Buffer.from(`u:${SECRETS.filePassword}`).toString('base64')}`);
  });

  test('--dry-run sends nothing and shows what would be sent', async () => {
    const before = r.requests();
    const run = await runCli([CPU, '--url', r.url, '--service-name', 'api', '--dry-run']);
    assert.equal(run.code, 0);
    assert.equal(r.requests(), before);
    assert.match(run.stdout, /would push .*cpu\.pb\.gz \(\d+ bytes, gzipped\) \{__name__="process_cpu", __delta__="false", service_name="api"\}/);
  });

  test('--json: one document on stdout', async () => {
    const run = await runCli([CPU, '--url', r.url, '--service-name', 'api', '--json']);
    const doc = JSON.parse(run.stdout);
    assert.equal(run.code, 0);
    assert.deepEqual([doc.ok, doc.exitCode, doc.profiles[0].endpoints[0].status, doc.profiles[0].endpoints[0].attempts], [true, 0, 'delivered', 1]);
  });

  test('--quiet prints nothing on success', async () => {
    const run = await runCli([CPU, '--url', r.url, '--quiet']);
    assert.deepEqual([run.code, run.stdout, run.stderr], [0, '', '']);
  });

  test('missing service_name: one warning, still sent', async () => {
    const before = r.received.length;
    const run = await runCli([CPU, HEAP, '--url', r.url]);
    assert.equal(run.code, 0);
    assert.equal(r.received.length - before, 2);
    assert.equal(run.stderr.match(/no service_name label/g)?.length, 1);
  });
});

describe('retries', () => {
  test('503 → 503 → 200: three requests, exit 0', () =>
    withReceiver((n) => (n <= 2 ? { status: 503, body: 'busy' } : undefined), async (r) => {
      const run = await runCli([CPU, '--url', r.url, '--service-name', 'a', ...FAST]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(r.requests(), 3);
      assert.equal(r.received.length, 1);
      assert.match(run.stdout, /\(200, 3 attempts\)/);
      assert.match(run.stderr, /retry: .* 503 Service Unavailable after 1 attempt: busy; next try in \dms/);
    }));

  test('a Connect 400 is not retried and its message is shown', () =>
    withReceiver(() => ({ status: 400, body: '{"code":"invalid_argument","message":"invalid metric name"}', headers: { 'content-type': 'application/json' } }), async (r) => {
      const run = await runCli([CPU, '--url', r.url, '--service-name', 'a', ...FAST]);
      assert.equal(run.code, 1);
      assert.equal(r.requests(), 1);
      assert.match(run.stdout, new RegExp(`refused by the server: \\[POST\\] "${r.url}/push.v1.PusherService/Push": 400 Bad Request \\(invalid_argument\\) after 1 attempt: invalid metric name`));
    }));

  test('--max-attempts 3 means the server sees 3 requests', () =>
    withReceiver(() => ({ status: 503, body: '<html>upstream down</html>' }), async (r) => {
      const run = await runCli([CPU, '--url', r.url, '--service-name', 'a', '--max-attempts', '3', ...FAST]);
      assert.equal(run.code, 1);
      assert.equal(r.requests(), 3);
      assert.match(run.stdout, /503 Service Unavailable after 3 attempts: <html>upstream down<\/html>/);
    }));

  test('a non-Connect error body is cut at 2 KiB', () =>
    withReceiver(() => ({ status: 502, body: 'x'.repeat(5000) }), async (r) => {
      const run = await runCli([CPU, '--url', r.url, '--max-attempts', '1']);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /502 Bad Gateway after 1 attempt: x{2048}…\n/);
    }));

  test('a 429 for a profile over the 2 MiB burst is not retried: waiting cannot help', () =>
    withReceiver(() => ({ status: 429, body: '{"code":"resource_exhausted","message":"rate limit exceeded"}', headers: { 'content-type': 'application/json' } }), async (r) => {
      const st = new StringTable();
      const big = new Profile({ stringTable: st, sampleType: [new ValueType({ type: st.dedup('cpu'), unit: st.dedup('nanoseconds') })], comment: [st.dedup('x'.repeat(3 * 1024 * 1024))] });
      const path = writeTemp(tempDir(), 'big.pb.gz', gzipSync(big.encode()));
      const run = await runCli([path, '--url', r.url, '--service-name', 'a', ...FAST]);
      assert.equal(run.code, 1);
      assert.equal(r.requests(), 1);
      assert.match(run.stderr, /big\.pb\.gz: 3\.0 MiB uncompressed, above the server's 2 MiB rate-limit burst/);
      assert.match(run.stdout, /429 Too Many Requests \(resource_exhausted\) after 1 attempt: rate limit exceeded; the profile is above the 2 MiB rate-limit burst, so waiting cannot help/);
    }));

  test('--no-retry-on-429 stops at the first 429', () =>
    withReceiver(() => ({ status: 429, body: '' }), async (r) => {
      const run = await runCli([CPU, '--url', r.url, '--no-retry-on-429', ...FAST]);
      assert.equal(run.code, 1);
      assert.equal(r.requests(), 1);
    }));

  test('Retry-After is honoured (capped by --max-backoff)', () =>
    withReceiver((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : undefined), async (r) => {
      const run = await runCli([CPU, '--url', r.url, '--min-backoff', '1ms', '--max-backoff', '20ms']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /next try in 20ms/);
    }));
});

describe('several endpoints', () => {
  test('one failing endpoint neither blocks nor hides the other', async () => {
    const good = await startReceiver('127.0.0.1', 0);
    const bad = await startReceiver('127.0.0.1', 0, { script: () => ({ status: 500, body: 'boom' }) });
    try {
      const run = await runCli([CPU, HEAP, '--url', good.url, '--url', bad.url, '--service-name', 'a', '--max-attempts', '2', ...FAST, '--json']);
      assert.equal(run.code, 1);
      assert.equal(good.received.length, 2);
      // The first profile to exhaust its attempts marks the endpoint down; the other may be cut in its backoff.
      assert.ok(bad.requests() >= 3 && bad.requests() <= 4, `bad saw ${bad.requests()}`);
      const doc = JSON.parse(run.stdout);
      const statuses = doc.profiles.flatMap((p: { endpoints: Array<{ endpoint: string; status: string }> }) => p.endpoints.map((e) => `${e.endpoint === good.url ? 'good' : 'bad'}:${e.status}`));
      assert.deepEqual(statuses, ['good:delivered', 'bad:not-sent', 'good:delivered', 'bad:not-sent']);
    } finally {
      await Promise.all([good.close(), bad.close()]);
    }
  });

  test('a refused connection is reported per endpoint', async () => {
    const run = await runCli([CPU, '--url', 'http://127.0.0.1:1', '--max-attempts', '2', ...FAST]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /connection refused after 2 attempts/);
  });
});

describe('bad input: exit 2, one line each, nothing sent', () => {
  let r: Receiver;
  before(async () => (r = await startReceiver('127.0.0.1', 0)));
  after(() => r.close());
  const cases: Array<[string, string[], RegExp]> = [
    ['missing file', ['/nonexistent.pb.gz'], /^error: \/nonexistent\.pb\.gz: no such file or directory$/m],
    ['empty file', [fixture('bad/empty.pb')], /empty\.pb: empty input; expected a pprof profile$/m],
    ['not a profile', [fixture('bad/not-a-profile.txt')], /not-a-profile\.txt: not a pprof profile/m],
    ['truncated gzip', [fixture('bad/truncated.pb.gz')], /truncated\.pb\.gz: gzip data is damaged \(unexpected end of file\)/m],
    ['unknown profile type', [fixture('custom.pb.gz')], /custom\.pb\.gz: cannot tell the profile type from its sample types \(requests\); pass --profile-name/m],
    ['ambiguous contentions', [fixture('contentions.pb.gz')], /pass --profile-name \(e\.g\. mutex or block\)/m],
    ['bad label', [CPU, '-l', 'novalue'], /--label "novalue": expected name=value/m],
    ['stdin twice', [CPU, '-', '-'], /- \(stdin\) given more than once/m],
    ['no inputs', [], /no profiles given/m],
    ['unknown flag', [CPU, '--retries', '3'], /unknown option '--retries'/m],
  ];
  for (const [name, args, expected] of cases)
    test(name, async () => {
      const before = r.requests();
      const run = await runCli([...args, '--url', r.url]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, expected);
      assert.equal(r.requests(), before, 'nothing sent');
      assert.ok(!/\n\s+at /.test(run.stderr), 'no stack trace');
    });
  test('every bad input is named, not just the first', async () => {
    const run = await runCli([fixture('bad/empty.pb'), fixture('bad/not-a-profile.txt'), '/nonexistent', '--url', r.url]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim().split('\n').length, 1, 'missing paths are found first, alone');
    const run2 = await runCli([fixture('bad/empty.pb'), fixture('bad/not-a-profile.txt'), '--url', r.url]);
    assert.equal(run2.stderr.trim().split('\n').length, 2);
  });
  test('--json reports a usage error as a document too', async () => {
    const run = await runCli([fixture('bad/empty.pb'), '--url', r.url, '--json']);
    assert.equal(run.code, 2);
    assert.deepEqual(JSON.parse(run.stdout).error.code, 'INPUT');
  });
});

describe('YAML config end to end', () => {
  test('staging.yaml: auth, tenant, external labels; flags override', () =>
    withReceiver(undefined, async (r) => {
      const dir = tempDir();
      const yaml = readFileSync(fixture('config/staging.yaml'), 'utf8').replace('http://127.0.0.1:4100', r.url);
      const path = writeTemp(dir, 'c.yaml', yaml);
      const run = await runCli([CPU, '--config', path, '-l', 'env=ci'], { env: { PYRO_TEST_PASSWORD: SECRETS.envPassword } });
      assert.equal(run.code, 0, run.stderr);
      const p = r.received[0]!;
      assert.deepEqual(p.labels, { __name__: 'process_cpu', __delta__: 'false', env: 'ci', team: 'profiling' });
      assert.equal(p.headers['x-scope-orgid'], 'squad-1');
      assert.equal(p.headers.authorization, `Basic ${Buffer.from(`u:${SECRETS.envPassword}`).toString('base64')}`);
      assert.match(run.stdout, /→ staging \(200/);
    }));
  test('a bad config: exit 2, one line with file, line and key, nothing sent', async () => {
    const run = await runCli([CPU, '--config', fixture('config/unknown-key.yaml')]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, `error: ${fixture('config/unknown-key.yaml')}:5: endpoints[0].basic_auth.pasword: unknown key (did you mean "password"?)\n`);
  });
  test('--url replaces the config endpoints and says so', () =>
    withReceiver(undefined, async (r) => {
      const run = await runCli([CPU, '--config', fixture('config/staging.yaml'), '--url', r.url], { env: { PYRO_TEST_PASSWORD: 'x' } });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(r.received[0]!.headers.authorization, undefined);
      assert.match(run.stderr, /warning: --url replaces the 1 endpoint\(s\) of .*staging\.yaml/);
      assert.equal(r.received[0]!.labels.env, 'staging', 'external_labels still apply');
    }));
});
