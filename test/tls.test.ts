import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fixture, runCli, tempDir, writeTemp } from './helpers.js';
import { type Pki, type TlsReceiver, createPki, startTlsReceiver } from './tls-helpers.js';

const CPU = fixture('cpu.pb.gz');

let pki: Pki;
let server: TlsReceiver;
const servers: TlsReceiver[] = [];
const start = async (opts: Parameters<typeof startTlsReceiver>[0]) => {
  const s = await startTlsReceiver(opts);
  servers.push(s);
  return s;
};
// One attempt: every failure here is a TLS one, which the same request would meet again.
const push = (url: string, ...args: string[]) => runCli([CPU, '--url', url, '--service-name', 'tls', '--max-attempts', '1', ...args], { secrets: pki.keySecrets });

before(async () => {
  pki = createPki();
  server = await start({ pair: pki.server });
});
after(() => Promise.all(servers.map((s) => s.close())));

describe('server verification', () => {
  test('a private CA from --ca-file: the profile arrives byte for byte', async () => {
    const n = server.received.length;
    const run = await push(server.url, '--ca-file', pki.ca);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(server.received.length, n + 1);
    assert.deepEqual(Buffer.from(server.received[n]!.rawProfile), readFileSync(CPU));
  });

  test('without the CA: exit 1, told to use --ca-file', async () => {
    const run = await push(server.url);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /certificate not trusted: .*\(use --ca-file\)/);
  });

  test('with the wrong CA: the hint asks whether that CA signed it, not to use --ca-file', async () => {
    const run = await push(server.url, '--ca-file', pki.clientCa);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /certificate not trusted: .*\(is the configured CA \(--ca-file, tls_config\) the one that signed it\?\)/);
  });

  test('--insecure-skip-verify sends, and warns', async () => {
    const n = server.received.length;
    const run = await push(server.url, '--insecure-skip-verify');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(server.received.length, n + 1);
    assert.match(run.stderr, /warning: .*TLS certificate verification is off/);
  });

  test('a certificate for another name: mismatch, unless --server-name names it', async () => {
    const other = await start({ pair: pki.otherHost });
    const refused = await push(other.url, '--ca-file', pki.ca);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /host name mismatch: the certificate is for DNS:other\.example, not 127\.0\.0\.1 \(.*--server-name/);
    assert.equal(other.requests(), 0);

    const run = await push(other.url, '--ca-file', pki.ca, '--server-name', 'other.example');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(other.received.length, 1);
  });

  test('an expired certificate', async () => {
    const expired = await start({ pair: pki.expired });
    const run = await push(expired.url, '--ca-file', pki.ca);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /certificate has expired after 1 attempt/);
  });

  test('--tls-min-version TLS13 against a TLS 1.2 server fails clearly', async () => {
    const old = await start({ pair: pki.server, maxVersion: 'TLSv1.2', http1Only: true });
    const run = await push(old.url, '--ca-file', pki.ca, '--tls-min-version', 'TLS13');
    assert.equal(run.code, 1);
    assert.match(run.stdout, /does not support the minimum TLS version/);
    const ok = await push(old.url, '--ca-file', pki.ca);
    assert.equal(ok.code, 0, ok.stdout);
  });
});

describe('bad TLS inputs: exit 2, one line naming the file, nothing sent', () => {
  const refused = async (args: string[], line: string) => {
    const n = server.requests();
    const run = await runCli([CPU, '--url', server.url, ...args], { secrets: pki.keySecrets });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr, `${line}\n`);
    assert.equal(server.requests(), n);
  };

  test('a --ca-file that does not exist', async () => {
    const missing = `${pki.dir}/nope.pem`;
    await refused(['--ca-file', missing], `error: --ca-file ${missing}: no such file or directory`);
  });

  test('a CA file that is not PEM', async () => {
    const notPem = writeTemp(tempDir(), 'ca.txt', 'just some text\n');
    await refused(['--ca-file', notPem], `error: --ca-file ${notPem}: not a PEM CA certificate`);
  });

  test('a private key given as the CA: refused without printing it', async () => {
    await refused(['--ca-file', pki.client.key], `error: --ca-file ${pki.client.key}: not a PEM CA certificate`);
  });

  test('--cert-file without --key-file, and the reverse', async () => {
    await refused(['--cert-file', pki.client.cert], `error: --cert-file ${pki.client.cert} needs --key-file (a client certificate needs its private key)`);
    await refused(['--key-file', pki.client.key], `error: --key-file ${pki.client.key} needs --cert-file (a private key needs its client certificate)`);
  });

  test('a key that does not match its certificate', async () => {
    await refused(['--cert-file', pki.client.cert, '--key-file', pki.server.key], `error: --key-file ${pki.server.key}: the key does not match the certificate ${pki.client.cert}`);
  });

  test('a certificate file that holds a key', async () => {
    await refused(['--cert-file', pki.client.key, '--key-file', pki.client.key], `error: --cert-file ${pki.client.key}: not a PEM certificate`);
  });

  test('an unknown --tls-min-version', async () => {
    await refused(['--tls-min-version', 'TLS14'], 'error: --tls-min-version: "TLS14" is not one of TLS10, TLS11, TLS12, TLS13');
  });
});

describe('tls_config in a YAML config', () => {
  const config = (tls: string) => writeTemp(tempDir(), 'config.yaml', `endpoints:\n  - url: ${server.url}\n    max_backoff_retries: 1\n    tls_config:\n${tls}`);
  const indent = (pem: string) => pem.trim().split('\n').map((l) => `        ${l}`).join('\n');

  test('ca_file', async () => {
    const n = server.received.length;
    const run = await runCli([CPU, '--config', config(`      ca_file: ${pki.ca}\n`), '--service-name', 'yaml'], { secrets: pki.keySecrets });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(Buffer.from(server.received[n]!.rawProfile), readFileSync(CPU));
  });

  test('ca_pem', async () => {
    const n = server.received.length;
    const run = await runCli([CPU, '--config', config(`      ca_pem: |\n${indent(pki.caPem)}\n`), '--service-name', 'yaml'], { secrets: pki.keySecrets });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(server.received.length, n + 1);
  });

  test('--ca-file replaces ca_pem', async () => {
    const wrong = writeTemp(tempDir(), 'wrong-ca.pem', pki.clientCaPem);
    const run = await runCli([CPU, '--config', config(`      ca_pem: |\n${indent(pki.caPem)}\n`), '--ca-file', wrong, '--service-name', 'yaml'], { secrets: pki.keySecrets });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /certificate not trusted/);
  });

  test('cert_file without key_file names the YAML key', async () => {
    const run = await runCli([CPU, '--config', config(`      ca_file: ${pki.ca}\n      cert_file: ${pki.client.cert}\n`)], { secrets: pki.keySecrets });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^error: endpoints\[0\]\.tls_config\.cert_file \S+ needs key_file or key_pem/);
  });

  test('a key_file that does not match cert_file', async () => {
    const run = await runCli([CPU, '--config', config(`      cert_file: ${pki.client.cert}\n      key_file: ${pki.otherHost.key}\n`)], { secrets: pki.keySecrets });
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim(), `error: endpoints[0].tls_config.key_file ${pki.otherHost.key}: the key does not match the certificate ${pki.client.cert}`);
  });
});
