import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fixture, runCli, tempDir, writeTemp } from './helpers.js';
import { type Pki, type TlsReceiver, createPki, startTlsReceiver } from './tls-helpers.js';

const CPU = fixture('cpu.pb.gz');

let pki: Pki;
let server: TlsReceiver;
const push = (...args: string[]) =>
  runCli([CPU, '--url', server.url, '--ca-file', pki.ca, '--service-name', 'mtls', '--max-attempts', '1', ...args], { secrets: pki.keySecrets });

before(async () => {
  pki = createPki();
  server = await startTlsReceiver({ pair: pki.server, clientCaPem: pki.clientCaPem });
});
after(() => server.close());

// HTTP/1.1 matters on its own: there the refusal used to surface as a bare "other side closed".
for (const [protocol, flags, version] of [['HTTP/2', ['--http2'], '2.0'], ['HTTP/1.1', [], '1.1']] as const) {
  describe(`a server that requires a client certificate, over ${protocol}`, () => {
    test('--cert-file and --key-file: the profile arrives', async () => {
      const n = server.received.length;
      const run = await push(...flags, '--cert-file', pki.client.cert, '--key-file', pki.client.key);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(server.received.length, n + 1);
      assert.deepEqual(Buffer.from(server.received[n]!.rawProfile), readFileSync(CPU));
      assert.equal(server.received[n]!.httpVersion, version);
    });

    test('no certificate: exit 1, told which flags to use, and not retried', async () => {
      const n = server.requests();
      const run = await runCli([CPU, '--url', server.url, '--ca-file', pki.ca, '--service-name', 'mtls', ...flags, '--max-attempts', '3', '--min-backoff', '1ms', '--max-backoff', '5ms'], {
        secrets: pki.keySecrets,
      });
      assert.equal(run.code, 1);
      assert.match(run.stdout, /client certificate required or rejected \(use --cert-file and --key-file\) after 1 attempt/);
      assert.equal(server.requests(), n);
    });

    test('a certificate from a CA the server does not trust: exit 1, the client certificate suspected', async () => {
      const run = await push(...flags, '--cert-file', pki.server.cert, '--key-file', pki.server.key);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /client certificate/);
    });
  });
}

test('cert_file and key_file in YAML tls_config', async () => {
  const config = writeTemp(
    tempDir(),
    'config.yaml',
    `endpoints:\n  - url: ${server.url}\n    tls_config:\n      ca_file: ${pki.ca}\n      cert_file: ${pki.client.cert}\n      key_file: ${pki.client.key}\n`,
  );
  const n = server.received.length;
  const run = await runCli([CPU, '--config', config, '--service-name', 'mtls-yaml'], { secrets: pki.keySecrets });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(server.received.length, n + 1);
});

test('cert_pem and key_pem inline in YAML: the key never printed', async () => {
  const indent = (pem: string) => pem.trim().split('\n').map((l) => `        ${l}`).join('\n');
  const config = writeTemp(
    tempDir(),
    'config.yaml',
    `endpoints:\n  - url: ${server.url}\n    tls_config:\n      ca_file: ${pki.ca}\n      cert_pem: |\n${indent(pki.client.certPem)}\n      key_pem: |\n${indent(pki.client.keyPem)}\n`,
  );
  const n = server.received.length;
  const run = await runCli([CPU, '--config', config, '--service-name', 'mtls-yaml', '--verbose'], { secrets: pki.keySecrets });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(server.received.length, n + 1);
  const dry = await runCli([CPU, '--config', config, '--service-name', 'mtls-yaml', '--dry-run', '--json'], { secrets: pki.keySecrets });
  assert.equal(dry.code, 0, dry.stderr);
});
