import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { request } from 'undici';
import { PassThrough } from 'node:stream';
import { PUSH_PATH } from '../src/protocol/push-api.js';
import { MAX_REQUEST_BYTES, type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { readRequestBody } from '../src/receiver/request-body.js';
import { encodePushRequest } from '../src/protocol/push-api.js';
import { main } from '../src/cli/main.js';
import { BIN, fixture, runCli, tempDir } from './helpers.js';

describe('the receiver answers like Pyroscope', () => {
  let r: Receiver;
  before(async () => (r = await startReceiver('127.0.0.1', 0)));
  after(() => r.close());
  const post = (body: Uint8Array | string, headers: Record<string, string> = { 'content-type': 'application/proto' }, path = PUSH_PATH) =>
    request(r.url + path, { method: 'POST', body, headers }).then(async (res) => ({ status: res.statusCode, type: res.headers['content-type'], body: await res.body.text() }));
  const cpu = new Uint8Array(readFileSync(fixture('cpu.pb.gz')));

  const cases: Array<[string, () => ReturnType<typeof post>, number, string | RegExp]> = [
    ['no __name__', () => post(encodePushRequest({ service_name: 'a' }, cpu, 'id')), 400, `{"code":"invalid_argument","message":"invalid labels '{service_name=\\"a\\"}' with error: invalid metric name"}`],
    // The server's gzip reader wants a 10-byte header before it tries raw protobuf; its error is not a validation one: 500.
    ['not a profile', () => post(encodePushRequest({ __name__: 'x' }, new TextEncoder().encode('nope'), 'id')), 500, '{"code":"unknown","message":"gzip reset: unexpected EOF"}'],
    ['a duplicate label name', () => post(requestWithLabels([['__name__', 'process_cpu'], ['service_name', 'a'], ['service_name', 'b']], cpu)), 400, `{"code":"invalid_argument","message":"profile with labels '{__name__=\\"process_cpu\\", service_name=\\"a\\", service_name=\\"b\\"}' has duplicate label name: 'service_name'"}`],
    // The label checks are kept per label set: a set whose pairs run together into a good set's is its own.
    ['a good set again', () => post(requestWithLabels([['__name__', 'process_cpu'], ['service_name', 'a']], cpu)), 200, ''],
    ['its pairs run together', () => post(requestWithLabels([['__name__', 'process_cpuservice_name'], ['', 'a']], cpu)), 400, `{"code":"invalid_argument","message":"invalid labels '{=\\"a\\", __name__=\\"process_cpuservice_name\\", service_name=\\"unknown_service\\"}' with error: invalid label name ''"}`],
    ['a duplicate label name, again', () => post(requestWithLabels([['__name__', 'process_cpu'], ['service_name', 'a'], ['service_name', 'b']], cpu)), 400, `{"code":"invalid_argument","message":"profile with labels '{__name__=\\"process_cpu\\", service_name=\\"a\\", service_name=\\"b\\"}' has duplicate label name: 'service_name'"}`],
    ['the same pairs in another order', () => post(requestWithLabels([['service_name', 'b'], ['__name__', 'process_cpu'], ['service_name', 'a']], cpu)), 400, `{"code":"invalid_argument","message":"profile with labels '{__name__=\\"process_cpu\\", service_name=\\"b\\", service_name=\\"a\\"}' has duplicate label name: 'service_name'"}`],
    ['a body cut short', () => post(encodePushRequest({ __name__: 'process_cpu' }, cpu, 'id').subarray(0, 50)), 400, '{"code":"invalid_argument","message":"unmarshal PushRequest: premature EOF"}'],
    ['a body over the limit', () => post(new Uint8Array(MAX_REQUEST_BYTES + 1)), 413, 'request body too large'],
    ['wrong content type', () => post('{}', { 'content-type': 'application/json' }), 415, ''],
    ['wrong path', () => post('', {}, '/nope'), 404, '404 page not found'],
    ['a good push', () => post(encodePushRequest({ __name__: 'process_cpu' }, cpu, 'id')), 200, ''],
  ];
  for (const [name, send, status, body] of cases)
    test(`${name} → ${status}`, async () => {
      const res = await send();
      assert.equal(res.status, status);
      if (typeof body === 'string') assert.equal(res.body, body);
      else assert.match(res.body, body);
    });
});

test('a request body is read to its end, its first bytes kept and its length counted', async () => {
  const read = (chunks: string[], keep: number) => {
    const req = new PassThrough();
    const body = readRequestBody(req as never, keep);
    for (const c of chunks) req.write(c);
    req.end();
    return body.then(({ bytes, total }) => [bytes.toString(), total]);
  };
  assert.deepEqual(await read([], 10), ['', 0]);
  assert.deepEqual(await read(['abc'], 10), ['abc', 3]);
  assert.deepEqual(await read(['abc', 'def', 'gh'], 10), ['abcdefgh', 8]);
  assert.deepEqual(await read(['abc', 'def', 'gh'], 4), ['abcd', 8]);
  assert.deepEqual(await read(['abc', 'def'], 3), ['abc', 6]);
  const failed = new PassThrough();
  const body = readRequestBody(failed as never, 10);
  failed.destroy(new Error('aborted'));
  await assert.rejects(body, /aborted/);
});

/** A PushRequest whose one series has these labels in this order (a Record cannot hold a name twice). */
function requestWithLabels(pairs: Array<[string, string]>, profile: Uint8Array): Uint8Array {
  const LEN = WireType.LengthDelimited;
  const w = new BinaryWriter().tag(1, LEN).fork();
  for (const [name, value] of pairs) w.tag(1, LEN).fork().tag(1, LEN).string(name).tag(2, LEN).string(value).join();
  w.tag(2, LEN).fork().tag(1, LEN).bytes(profile).tag(2, LEN).string('id').join();
  return w.join().finish();
}

test('pyro-push receive prints one line per profile and writes --out files', async () => {
  const out = tempDir();
  const child = spawn(process.execPath, [BIN, 'receive', '--port', '0', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        const m = /listening on (http:\/\/\S+)/.exec(d);
        if (m) resolve(m[1] as string);
      });
      child.on('exit', () => reject(new Error('receiver exited')));
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const run = await runCli([fixture('cpu.pb.gz'), '--url', url, '--service-name', 'api']);
    assert.equal(run.code, 0, run.stderr);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(stdout, /^api process_cpu \[samples\/count, cpu\/nanoseconds\] \d+ bytes \{__name__="process_cpu", __delta__="false", service_name="api"\}$/m);
    const files = readdirSync(out);
    assert.deepEqual(files, ['0001-api-process_cpu.pb.gz']);
    assert.deepEqual(readFileSync(`${out}/${files[0]}`), readFileSync(fixture('cpu.pb.gz')));
  } finally {
    child.kill('SIGTERM');
  }
});

test('receive: a port in use is one line, exit 2', async () => {
  const r = await startReceiver('127.0.0.1', 0);
  try {
    const run = await runCli(['receive', '--port', String(r.port)]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot listen on 127\.0\.0\.1:\d+: address already in use/);
  } finally {
    await r.close();
  }
});

test('receive, a server, asks the process for V8 tuned for many requests (Io.tuneV8), a push of one file does not', async () => {
  const asked: string[] = [];
  const io = {
    stdout: { write: () => true },
    stderr: { write: () => true },
    stdin: { isTTY: false, read: async () => new Uint8Array() },
    env: {},
    now: Date.now,
    signal: new AbortController().signal,
    tuneV8: { manyInputs: () => void asked.push('inputs'), manyRequests: () => void asked.push('requests') },
  };
  // A port that cannot be: the command ends at once, after it has said what it runs as.
  assert.equal(await main(['node', 'pyro-push', 'receive', '--port', '99999'], io), 2);
  assert.deepEqual(asked, ['requests']);
  assert.equal(await main(['node', 'pyro-push', fixture('cpu.pb.gz'), '--url', 'http://127.0.0.1:1', '--service-name', 'a', '--dry-run', '-q'], io), 0);
  assert.deepEqual(asked, ['requests']);
});

describe('pyro-push receive left running', () => {
  test('keeps no profile in memory (keepReceived: false): it writes --out files, numbered, and forgets them', async () => {
    const out = tempDir();
    const r = await startReceiver('127.0.0.1', 0, { keepReceived: false, outDir: out });
    try {
      const run = await runCli([fixture('cpu.pb.gz'), fixture('heap.pb'), '--url', r.url, '--service-name', 'kept']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(r.requests(), 2);
      assert.deepEqual(r.received, []);
      // Numbered in order of arrival, which two concurrent pushes do not fix.
      assert.deepEqual(readdirSync(out).map((f) => f.slice(0, 4)).sort(), ['0001', '0002']);
      assert.deepEqual(readdirSync(out).map((f) => f.slice(5)).sort(), ['kept-memory.pb', 'kept-process_cpu.pb.gz']);
    } finally {
      await r.close();
    }
  });
});
