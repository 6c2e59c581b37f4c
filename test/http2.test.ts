import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, runCli, tempDir, writeTemp } from './helpers.js';
import { type Pki, type TlsReceiver, createPki, startTlsReceiver } from './tls-helpers.js';

const CPU = fixture('cpu.pb.gz');

let pki: Pki;
let server: TlsReceiver;
const push = (args: string[]) => runCli([...args, '--ca-file', pki.ca, '--service-name', 'h2', '--max-attempts', '1'], { secrets: pki.keySecrets });
const versions = (from: number) => server.received.slice(from).map((p) => p.httpVersion);

// The server offers both, as Pyroscope does: what arrives shows what the client negotiated.
before(async () => {
  pki = createPki();
  server = await startTlsReceiver({ pair: pki.server });
});
after(() => server.close());

test('HTTP/2 with --http2, several profiles multiplexed', async () => {
  const dir = tempDir();
  for (const n of [1, 2, 3]) copyFileSync(CPU, join(dir, `cpu-${n}.pb.gz`));
  const n = server.received.length;
  const run = await push([dir, '--url', server.url, '--http2']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.deepEqual(versions(n), ['2.0', '2.0', '2.0']);
});

test('HTTP/1.1 by default (faster in bulk); --no-http2 says so explicitly', async () => {
  const n0 = server.received.length;
  const plain = await push([CPU, '--url', server.url]);
  assert.equal(plain.code, 0, plain.stdout + plain.stderr);
  assert.deepEqual(versions(n0), ['1.1']);
});

test('enable_http2: true in YAML: HTTP/2', async () => {
  const config = writeTemp(tempDir(), 'config.yaml', `endpoints:\n  - url: ${server.url}\n    enable_http2: true\n`);
  const n = server.received.length;
  const run = await push([CPU, '--config', config]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.deepEqual(versions(n), ['2.0']);
});

test('--no-http2: HTTP/1.1', async () => {
  const n = server.received.length;
  const run = await push([CPU, '--url', server.url, '--no-http2']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.deepEqual(versions(n), ['1.1']);
});

test('enable_http2: false in YAML: HTTP/1.1', async () => {
  const config = writeTemp(tempDir(), 'config.yaml', `endpoints:\n  - url: ${server.url}\n    enable_http2: false\n`);
  const n = server.received.length;
  const run = await push([CPU, '--config', config]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.deepEqual(versions(n), ['1.1']);
});

test('an HTTP/1.1-only server: the client falls back', async () => {
  const h1 = await startTlsReceiver({ pair: pki.server, http1Only: true });
  try {
    const run = await push([CPU, '--url', h1.url]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(h1.received.map((p) => p.httpVersion), ['1.1']);
  } finally {
    await h1.close();
  }
});
