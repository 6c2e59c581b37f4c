import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { PUSH_PATH } from '../src/protocol/push-api.js';
import { type Receiver, type ReceiverOptions, startReceiver } from '../src/receiver/receiver.js';
import { SECRETS, fixture, runCli } from './helpers.js';
import { type Pki, createPki, startTlsReceiver } from './tls-helpers.js';

const CPU = fixture('cpu.pb.gz');
const CREDENTIALS = ['--bearer-token', SECRETS.token, '--tenant-id', 'team-a', '-H', `X-Api-Key: ${SECRETS.headerToken}`, '-H', 'X-Custom: kept-at-home'];

let pki: Pki;
let target: Receiver;
const servers: { close(): Promise<void> }[] = [];
const start = async (opts: ReceiverOptions) => {
  const r = await startReceiver('127.0.0.1', 0, opts);
  servers.push(r);
  return r;
};
/** A server that answers every request with `status` to `location`, and keeps what it was sent. */
const redirector = async (status: number, location: (self: Receiver) => string) => {
  const seen: IncomingHttpHeaders[] = [];
  const self: Receiver = await start({ script: ({ headers }) => (seen.push(headers), { status, headers: { location: location(self) } }) });
  return Object.assign(self, { seen });
};
const push = (url: string, ...args: string[]) =>
  runCli([CPU, '--url', url, '--service-name', 'moved', '--max-attempts', '1', ...CREDENTIALS, ...args], { secrets: pki.keySecrets });

before(async () => {
  pki = createPki();
  target = await start({});
});
after(() => Promise.all(servers.map((s) => s.close())));

describe('followed', () => {
  test('same origin (307): credentials and headers go along', async () => {
    // First request redirected, the second (same server, same origin) accepted.
    const same = await start({ script: ({ count }) => (count === 1 ? { status: 307, headers: { location: PUSH_PATH } } : undefined) });
    const run = await push(same.url);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(same.requests(), 2);
    const [p] = same.received;
    assert.deepEqual(Buffer.from(p!.rawProfile), readFileSync(CPU));
    assert.equal(p!.headers.authorization, `Bearer ${SECRETS.token}`);
    assert.deepEqual([p!.headers['x-scope-orgid'], p!.headers['x-api-key'], p!.headers['x-custom']], ['team-a', SECRETS.headerToken, 'kept-at-home']);
  });

  test('another origin (308, another port): the profile arrives, no credential or custom header does', async () => {
    const front = await redirector(308, () => `${target.url}${PUSH_PATH}`);
    const n = target.received.length;
    const run = await push(front.url);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(front.seen[0]!.authorization, `Bearer ${SECRETS.token}`);
    const p = target.received[n]!;
    assert.deepEqual(Buffer.from(p.rawProfile), readFileSync(CPU));
    for (const name of ['authorization', 'x-scope-orgid', 'x-api-key', 'x-custom']) assert.equal(p.headers[name], undefined, name);
    assert.equal(p.headers['content-type'], 'application/proto');
  });

  test('once another origin, always: a redirect back home still carries nothing', async () => {
    const home = await start({ script: ({ count }) => (count === 1 ? { status: 307, headers: { location: `${away.url}${PUSH_PATH}` } } : undefined) });
    const away = await redirector(307, () => `${home.url}${PUSH_PATH}`);
    const run = await push(home.url);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(away.seen[0]!.authorization, undefined);
    assert.equal(home.received[0]!.headers.authorization, undefined);
  });
});

describe('not followed', () => {
  test('--no-follow-redirects: exit 1, the 3xx and its target reported', async () => {
    const front = await redirector(307, () => `${target.url}${PUSH_PATH}`);
    const n = target.requests();
    const run = await push(front.url, '--no-follow-redirects');
    assert.equal(run.code, 1);
    assert.ok(run.stdout.includes(`307 Temporary Redirect after 1 attempt: redirect to ${target.url}${PUSH_PATH} not followed`), run.stdout);
    assert.equal(target.requests(), n);
  });

  test('https → http is refused', async () => {
    const secure = await startTlsReceiver({ pair: pki.server, script: () => ({ status: 308, headers: { location: `${target.url}${PUSH_PATH}` } }) });
    servers.push(secure);
    const n = target.requests();
    const run = await push(secure.url, '--ca-file', pki.ca);
    assert.equal(run.code, 1);
    assert.ok(run.stdout.includes(`refused to follow a redirect from https to ${target.url}${PUSH_PATH}`), run.stdout);
    assert.equal(target.requests(), n);
  });

  test('more than 10 hops', async () => {
    const loop = await redirector(307, (self) => `${self.url}${PUSH_PATH}`);
    const run = await push(loop.url);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /307 Temporary Redirect after 1 attempt: more than 10 redirects; last to http:\/\/127\.0\.0\.1:\d+\/push/);
    assert.equal(loop.requests(), 11);
  });
});
