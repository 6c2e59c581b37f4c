import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { OAuth2Server } from 'oauth2-mock-server';
import { type Receiver, type ScriptedReply, startReceiver } from '../src/receiver/receiver.js';
import { SECRETS, type CliRun, fixture, runCli, tempDir, writeTemp } from './helpers.js';
import { createPki } from './tls-helpers.js';

const CPU = fixture('cpu.pb.gz');
const CLIENT_ID = 'pyro-push-client';
const ROTATED_SECRET = 'client-s3cret-rotated-7070';

interface TokenRequest {
  form: Record<string, string>;
  /** The Basic credentials, decoded. */
  client: string;
  token?: string;
}

let oauth: OAuth2Server;
let tokenUrl: string;
/** Every token request, in order. */
const requests: TokenRequest[] = [];
/** What the token endpoint answers; each test sets what it needs. */
let expiresIn = 3600;
let acceptedSecrets: string[] = [SECRETS.clientSecret];
let receiver: Receiver;
let script: (() => ScriptedReply | undefined) | undefined;

before(async () => {
  oauth = new OAuth2Server();
  await oauth.issuer.keys.generate('RS256');
  await oauth.start(0, '127.0.0.1');
  // The issuer calls itself localhost; the tests stay on 127.0.0.1.
  tokenUrl = `http://127.0.0.1:${oauth.address().port}/token`;
  let serial = 0;
  // Signatures are deterministic: without a serial, two tokens issued in the same second are equal.
  oauth.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => void (token.payload.serial = ++serial));
  oauth.service.on('beforeResponse', (response: { statusCode: number; body: Record<string, unknown> }, req: { body: Record<string, string>; headers: Record<string, string | undefined> }) => {
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const client = basic ? Buffer.from(basic, 'base64').toString() : '';
    const entry: TokenRequest = { form: { ...req.body }, client };
    requests.push(entry);
    if (!acceptedSecrets.some((s) => client === `${CLIENT_ID}:${s}`)) {
      response.statusCode = 401;
      response.body = { error: 'invalid_client', error_description: 'client authentication failed' };
      return;
    }
    response.body.expires_in = expiresIn;
    entry.token = response.body.access_token as string;
  });
  receiver = await startReceiver('127.0.0.1', 0, { script: () => script?.() });
});
after(async () => {
  await oauth.stop();
  await receiver.close();
});
beforeEach(() => {
  requests.splice(0);
  expiresIn = 3600;
  acceptedSecrets = [SECRETS.clientSecret];
  script = undefined;
});

const secretFile = (secret: string = SECRETS.clientSecret) => writeTemp(tempDir(), 'client-secret', `${secret}\n`);
const profiles = (n: number) => {
  const dir = tempDir();
  for (let i = 1; i <= n; i++) copyFileSync(CPU, join(dir, `cpu-${i}.pb.gz`));
  return dir;
};
const flags = (secretPath: string, url = tokenUrl) => ['--url', receiver.url, '--oauth2-client-id', CLIENT_ID, '--oauth2-client-secret-file', secretPath, '--oauth2-token-url', url];
const issued = () => requests.flatMap((r) => (r.token ? [r.token] : []));
async function push(args: string[], secrets: string[] = []): Promise<CliRun> {
  const run = await runCli(['--service-name', 'oauth', '--min-backoff', '1ms', '--max-backoff', '5ms', ...args], { secrets: [ROTATED_SECRET, ...secrets] });
  // Tokens are secrets too, and are only known once issued.
  for (const token of issued()) assert.ok(!(run.stdout + run.stderr).includes(token), 'the CLI printed an access token');
  return run;
}

describe('client credentials from flags', () => {
  test('one token for five profiles: scopes, endpoint params and client secret as the token endpoint saw them', async () => {
    const n = receiver.received.length;
    // --verbose prints every request's headers: the token must show as <secret> there too.
    const run = await push([profiles(5), ...flags(secretFile()), '--oauth2-scope', 'a', '--oauth2-scope', 'b', '--oauth2-endpoint-param', 'audience=x', '--verbose']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(requests.length, 1);
    const [request] = requests;
    assert.deepEqual(request!.form, { audience: 'x', grant_type: 'client_credentials', scope: 'a b' });
    assert.equal(request!.client, `${CLIENT_ID}:${SECRETS.clientSecret}`);
    const received = receiver.received.slice(n);
    assert.equal(received.length, 5);
    for (const p of received) assert.equal(p.headers.authorization, `Bearer ${request!.token}`);
    assert.match(run.stderr, /authorization: <secret>/);
  });

  test('a token within 10s of expiry is fetched again before each request', async () => {
    expiresIn = 10;
    const run = await push([profiles(3), ...flags(secretFile()), '--concurrency', '1']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(requests.length, 3);
    assert.equal(new Set(issued()).size, 3);
  });

  test('expires_in 0 means no expiry: one token', async () => {
    expiresIn = 0;
    const run = await push([profiles(3), ...flags(secretFile()), '--concurrency', '1']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(requests.length, 1);
  });

  test('the secret file is read again for each token request (rotation)', async () => {
    expiresIn = 10;
    acceptedSecrets = [SECRETS.clientSecret, ROTATED_SECRET];
    const path = secretFile();
    oauth.service.once('beforeResponse', () => writeFileSync(path, ROTATED_SECRET));
    const run = await push([profiles(2), ...flags(path), '--concurrency', '1']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(
      requests.map((r) => r.client),
      [`${CLIENT_ID}:${SECRETS.clientSecret}`, `${CLIENT_ID}:${ROTATED_SECRET}`],
    );
  });

  test('a 401 from the endpoint: one new token, then the push succeeds in the same attempt', async () => {
    let refusals = 1;
    script = () => (refusals-- > 0 ? { status: 401, body: '{"code":"unauthenticated","message":"token expired"}', headers: { 'content-type': 'application/json' } } : undefined);
    const n = receiver.received.length;
    const run = await push([CPU, ...flags(secretFile())]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /\(200, 1 attempt\)/);
    assert.equal(requests.length, 2);
    assert.equal(receiver.received.length, n + 1);
    assert.equal(receiver.received[n]!.headers.authorization, `Bearer ${issued()[1]}`);
  });

  test('a 401 again after the new token: reported as the server refusing, one token refresh only', async () => {
    script = () => ({ status: 401, body: '{"code":"unauthenticated","message":"no"}', headers: { 'content-type': 'application/json' } });
    const run = await push([CPU, ...flags(secretFile()), '--max-attempts', '1']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /401 Unauthorized \(unauthenticated\) after 1 attempt: no/);
    assert.equal(requests.length, 2);
  });

  test('the token endpoint refusing the client: exit 1, the token endpoint blamed, not retried, nothing pushed', async () => {
    const wrong = 'not-the-client-secret';
    const before = receiver.requests();
    const run = await push([CPU, ...flags(secretFile(wrong)), '--max-attempts', '3'], [wrong]);
    assert.equal(run.code, 1);
    assert.ok(run.stdout.includes(`could not get an OAuth2 token: token endpoint ${tokenUrl} answered 401 invalid_client (client authentication failed) after 1 attempt`), run.stdout);
    assert.doesNotMatch(run.stdout, /401 Unauthorized/);
    assert.equal(requests.length, 1);
    assert.equal(receiver.requests(), before);
  });

  test('--oauth2-endpoint-param scope=… with --oauth2-scope: exit 2, nothing requested', async () => {
    const run = await push([CPU, ...flags(secretFile()), '--oauth2-scope', 'a', '--oauth2-endpoint-param', 'scope=b']);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim(), 'error: --oauth2-endpoint-param scope=… cannot be combined with --oauth2-scope; use one');
    assert.equal(requests.length, 0);
  });

  test('a 200 that is not a token object: exit 1 with the token endpoint named, not an internal error', async () => {
    oauth.service.once('beforeResponse', (response: { body: unknown }) => void (response.body = null));
    const run = await push([CPU, ...flags(secretFile())]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /could not get an OAuth2 token: token endpoint \S+ answered 200 without an access_token after 1 attempt/);
  });

  test('the token endpoint unreachable: retried, then reported as the token endpoint', async () => {
    const run = await push([CPU, ...flags(secretFile(), 'http://127.0.0.1:1/token'), '--max-attempts', '2']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /could not get an OAuth2 token: token endpoint http:\/\/127\.0\.0\.1:1\/token: connection refused after 2 attempts/);
  });
});

test('an https token endpoint is verified with --ca-file, like the server', async () => {
  const pki = createPki();
  const secure = new OAuth2Server(pki.server.key, pki.server.cert);
  await secure.issuer.keys.generate('RS256');
  await secure.start(0, '127.0.0.1');
  try {
    const url = `https://127.0.0.1:${secure.address().port}/token`;
    const untrusted = await push([CPU, ...flags(secretFile(), url)], pki.keySecrets);
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stdout, /could not get an OAuth2 token: token endpoint \S+: certificate not trusted: .*\(use --ca-file\)/);
    const run = await push([CPU, ...flags(secretFile(), url), '--ca-file', pki.ca], pki.keySecrets);
    assert.equal(run.code, 0, run.stdout + run.stderr);
  } finally {
    await secure.stop();
  }
});

test('an oauth2 block in YAML', async () => {
  const config = writeTemp(
    tempDir(),
    'config.yaml',
    [
      'endpoints:',
      `  - url: ${receiver.url}`,
      '    oauth2:',
      `      client_id: ${CLIENT_ID}`,
      `      client_secret_file: ${secretFile()}`,
      `      token_url: ${tokenUrl}`,
      '      scopes: [profiles:write]',
      '      endpoint_params: { audience: pyroscope }',
      '',
    ].join('\n'),
  );
  const n = receiver.received.length;
  const run = await push([CPU, '--config', config]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.deepEqual(requests[0]!.form, { audience: 'pyroscope', grant_type: 'client_credentials', scope: 'profiles:write' });
  assert.equal(receiver.received[n]!.headers.authorization, `Bearer ${issued()[0]}`);
});
