import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { SECRETS, fixture, runCli } from './helpers.js';
import { type TestProxy, startProxy } from './proxy-helpers.js';
import { type Pki, type TlsReceiver, createPki, startTlsReceiver } from './tls-helpers.js';

const CPU = fixture('cpu.pb.gz');
const USER = 'proxy-user';

let pki: Pki;
let proxy: TestProxy;
let plain: Receiver;
let secure: TlsReceiver;
let proxyUrl: string;

const push = (url: string, args: string[], env: Record<string, string> = {}, secrets: string[] = []) =>
  runCli([CPU, '--url', url, '--service-name', 'proxied', '--max-attempts', '1', ...args], { env, secrets: [...pki.keySecrets, ...secrets] });
const hostOf = (url: string) => new URL(url).host;

before(async () => {
  pki = createPki();
  proxy = await startProxy({ user: USER, password: SECRETS.proxyPassword });
  proxyUrl = proxy.url(USER, SECRETS.proxyPassword);
  plain = await startReceiver('127.0.0.1', 0);
  secure = await startTlsReceiver({ pair: pki.server });
});
after(() => Promise.all([proxy.close(), plain.close(), secure.close()]));
beforeEach(() => void proxy.seen.splice(0));

describe('--proxy-url with Basic credentials', () => {
  test('an http:// endpoint is tunnelled with CONNECT', async () => {
    const n = plain.received.length;
    const run = await push(plain.url, ['--proxy-url', proxyUrl]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(Buffer.from(plain.received[n]!.rawProfile), readFileSync(CPU));
    assert.deepEqual(proxy.seen, [{ method: 'CONNECT', target: hostOf(plain.url), authorized: true }]);
  });

  test('an https:// endpoint: TLS to the server inside the tunnel, h2 negotiated with --http2', async () => {
    const n = secure.received.length;
    const run = await push(secure.url, ['--proxy-url', proxyUrl, '--ca-file', pki.ca, '--http2']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(Buffer.from(secure.received[n]!.rawProfile), readFileSync(CPU));
    assert.equal(secure.received[n]!.httpVersion, '2.0');
    assert.deepEqual(proxy.seen, [{ method: 'CONNECT', target: hostOf(secure.url), authorized: true }]);
  });

  test('a wrong password: exit 1, the proxy named as the one refusing', async () => {
    const n = plain.requests();
    const run = await push(plain.url, ['--proxy-url', proxy.url(USER, 'not-the-password')]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /proxy refused: 407 Proxy Authentication Required \(check the proxy credentials\) after 1 attempt/);
    assert.deepEqual(proxy.seen, [{ method: 'CONNECT', target: hostOf(plain.url), authorized: false }]);
    assert.equal(plain.requests(), n);
  });

  test('a server the proxy cannot reach: a 5xx from the proxy, reported and retried', async () => {
    const run = await push('http://127.0.0.1:1', ['--proxy-url', proxyUrl, '--max-attempts', '2', '--min-backoff', '1ms', '--max-backoff', '5ms']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /proxy refused: 500 Internal Server Error \(the proxy could not reach the server\?\) after 2 attempts/);
    assert.equal(proxy.seen.length, 2);
  });

  test('a user name without a password (a token) is sent too', async () => {
    const tokenProxy = await startProxy({ user: SECRETS.token, password: '' });
    try {
      const run = await push(plain.url, ['--proxy-url', tokenProxy.url(SECRETS.token)]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(tokenProxy.seen, [{ method: 'CONNECT', target: hostOf(plain.url), authorized: true }]);
    } finally {
      await tokenProxy.close();
    }
  });

  test('--proxy-bypass: the endpoint is reached directly', async () => {
    for (const bypass of ['127.0.0.1', `localhost,127.0.0.1:${plain.port}`]) {
      const n = plain.received.length;
      const run = await push(plain.url, ['--proxy-url', proxyUrl, '--proxy-bypass', bypass]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.equal(plain.received.length, n + 1);
    }
    assert.deepEqual(proxy.seen, []);
  });

  test('--proxy-connect-header is sent with the CONNECT (here: the credentials)', async () => {
    const basic = `Basic ${Buffer.from(`${USER}:${SECRETS.proxyPassword}`).toString('base64')}`;
    const run = await push(plain.url, ['--proxy-url', proxy.url(), '--proxy-connect-header', `Proxy-Authorization: ${basic}`], {}, [basic.slice(6)]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(proxy.seen, [{ method: 'CONNECT', target: hostOf(plain.url), authorized: true }]);
  });
});

describe('--proxy-from-environment', () => {
  test('HTTP_PROXY, lowercase http_proxy, and one without a scheme', async () => {
    const schemeless = proxyUrl.replace('http://', '');
    for (const [name, value] of [['HTTP_PROXY', proxyUrl], ['http_proxy', proxyUrl], ['HTTP_PROXY', schemeless]] as const) {
      proxy.seen.splice(0);
      const run = await push(plain.url, ['--proxy-from-environment'], { [name]: value });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.deepEqual(proxy.seen, [{ method: 'CONNECT', target: hostOf(plain.url), authorized: true }], `${name}=${value.slice(0, 12)}`);
    }
  });

  test('an HTTP_PROXY that is not a URL: exit 2, its password not printed', async () => {
    const run = await push(plain.url, ['--proxy-from-environment'], { HTTP_PROXY: `http://${USER}:${SECRETS.proxyPassword}@127.0.0.1:notaport` });
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim(), `error: HTTP_PROXY (--proxy-from-environment): "http://${USER}:<secret>@127.0.0.1:notaport" is not a URL (e.g. http://proxy.corp:3128)`);
  });

  test('HTTPS_PROXY for an https:// endpoint', async () => {
    const run = await push(secure.url, ['--proxy-from-environment', '--ca-file', pki.ca], { HTTPS_PROXY: proxyUrl });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(proxy.seen, [{ method: 'CONNECT', target: hostOf(secure.url), authorized: true }]);
  });

  test('HTTP_PROXY alone leaves https:// direct, as in Go', async () => {
    const n = secure.received.length;
    const run = await push(secure.url, ['--proxy-from-environment', '--ca-file', pki.ca], { HTTP_PROXY: proxyUrl });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(secure.received.length, n + 1);
    assert.deepEqual(proxy.seen, []);
  });

  test('--proxy-connect-header goes to the proxy from the environment too', async () => {
    const basic = `Basic ${Buffer.from(`${USER}:${SECRETS.proxyPassword}`).toString('base64')}`;
    const run = await push(plain.url, ['--proxy-from-environment', '--proxy-connect-header', `Proxy-Authorization: ${basic}`], { HTTP_PROXY: proxy.url() }, [basic.slice(6)]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(proxy.seen, [{ method: 'CONNECT', target: hostOf(plain.url), authorized: true }]);
  });

  test('NO_PROXY bypasses it', async () => {
    const n = plain.received.length;
    const run = await push(plain.url, ['--proxy-from-environment'], { HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(plain.received.length, n + 1);
    assert.deepEqual(proxy.seen, []);
  });

  test('without the flag the environment is ignored', async () => {
    const run = await push(plain.url, [], { HTTP_PROXY: proxyUrl, http_proxy: proxyUrl });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(proxy.seen, []);
  });

  test('together with --proxy-url: exit 2', async () => {
    const run = await push(plain.url, ['--proxy-from-environment', '--proxy-url', proxyUrl]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim(), 'error: --proxy-from-environment cannot be combined with --proxy-url');
    assert.deepEqual(proxy.seen, []);
  });
});

describe('the proxy password is never printed', () => {
  test('--dry-run shows the proxy URL with <secret>', async () => {
    const run = await push(plain.url, ['--proxy-url', proxyUrl, '--dry-run']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.includes(`proxy http://${USER}:<secret>@127.0.0.1:${proxy.port}/`), run.stdout);
  });

  test('--verbose and --json, on success and on refusal', async () => {
    const wrong = SECRETS.proxyPassword.toUpperCase();
    for (const [url, code] of [[proxyUrl, 0], [proxy.url(USER, wrong), 1]] as const) {
      for (const output of ['--verbose', '--json']) {
        const run = await push(plain.url, ['--proxy-url', url, output], {}, [wrong]);
        assert.equal(run.code, code, run.stdout + run.stderr);
      }
    }
  });

  test('a proxy URL that is not a URL is quoted without its password', async () => {
    const run = await push(plain.url, ['--proxy-url', `http://${USER}:${SECRETS.proxyPassword}@127.0.0.1:notaport`]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim(), `error: --proxy-url: "http://${USER}:<secret>@127.0.0.1:notaport" is not a URL (e.g. http://proxy.corp:3128)`);
  });
});
