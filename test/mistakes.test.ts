/**
 * Every bad input a user can give: one line naming the input and the fix, exit 2, nothing sent. And the
 * conflicts that used to pass in silence: one warning line each.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { SECRETS, fixture, runCli, tempDir, writeTemp } from './helpers.js';

const CPU = fixture('cpu.pb.gz');
let r: Receiver;
before(async () => {
  r = await startReceiver('127.0.0.1', 0);
});
after(() => r.close());

describe('refused before anything is sent: one line, exit 2', () => {
  const fifo = () => {
    const path = join(tempDir(), 'pipe');
    execFileSync('mkfifo', [path]);
    return path;
  };
  const tokenFile = () => writeTemp(tempDir(), 'token', `${SECRETS.fileToken}\nsecond-line\n`);
  const cases: Array<[string, () => { args: string[]; env?: Record<string, string> }, RegExp]> = [
    ['a named pipe (it could wait for ever)', () => ({ args: [fifo()] }), /^error: .*\/pipe: a named pipe \(FIFO\); send what is written to it through stdin instead: pyro-push - < .*\/pipe$/],
    ['--proxy-url with a path', () => ({ args: [CPU, '--proxy-url', 'http://127.0.0.1:3128/proxy'] }), /^error: --proxy-url: "http:\/\/127\.0\.0\.1:3128\/proxy…" has a path or query; a proxy is a scheme, host and port \(e\.g\. http:\/\/proxy\.corp:3128\)$/],
    ['HTTP_PROXY with a query, even with --dry-run', () => ({ args: [CPU, '--proxy-from-environment', '--dry-run'], env: { HTTP_PROXY: 'http://127.0.0.1:3128/?k=v' } }), /^error: HTTP_PROXY \(--proxy-from-environment\): "http:\/\/127\.0\.0\.1:3128\/…" has a path or query; a proxy is a scheme, host and port/],
    ['a bearer token with a line break', () => ({ args: [CPU, '--bearer-token', `${SECRETS.token}\nX-Evil: 1`] }), /^error: --bearer-token has a line break or NUL inside; a credential is one line \(a file may end with one newline\)$/],
    ['a password in the environment with a line break', () => ({ args: [CPU, '--username', 'u'], env: { PYROSCOPE_PASSWORD: `${SECRETS.envPassword}\r\n` } }), /^error: --password, --password-file or PYROSCOPE_PASSWORD has a line break or NUL inside/],
    ['a token file with two lines', () => ({ args: [CPU, '--bearer-token-file', tokenFile()] }), /^error: --bearer-token has a line break or NUL inside/],
    ['a user name with a colon (RFC 7617)', () => ({ args: [CPU, '--username', 'a:b', '--password', SECRETS.password] }), /^error: --username "a:b" has a ":", which HTTP Basic auth cannot carry in a user name \(RFC 7617\)$/],
    ['a label with a line break', () => ({ args: [CPU, '-l', 'env=a\nX: 1'] }), /^error: label "env": value has a control character \("\\n"\); a label is one line of text$/],
    ['a label that was not UTF-8 on the command line', () => ({ args: [CPU, '-l', 'env=a\uFFFDb'] }), /^error: --label "env=a�b": not valid UTF-8 \(the bytes shown as � are not text\); the server refuses it$/],
    ['credentials in the OAuth2 token URL (they would be printed)', () => ({ args: [CPU, '--oauth2-client-id', 'c', '--oauth2-client-secret-file', writeTemp(tempDir(), 's', SECRETS.clientSecret), '--oauth2-token-url', `http://user:${SECRETS.password}@127.0.0.1:1/token`, '--dry-run'] }), /^error: --oauth2-token-url: put credentials in --oauth2-client-id and --oauth2-client-secret-file, not in the URL$/],
    ['an Authorization header and an auth flag', () => ({ args: [CPU, '-H', `Authorization: Bearer ${SECRETS.headerToken}`, '--bearer-token', SECRETS.token] }), /^error: --url: an Authorization header \(-H or headers\) and a token both set Authorization; use one$/],
    ['--force-profile-name alone', () => ({ args: [CPU, '--force-profile-name'] }), /^error: --force-profile-name needs --profile-name$/],
  ];
  for (const [name, make, line] of cases)
    test(name, async () => {
      const before = r.requests();
      const { args, env } = make();
      const run = await runCli([...args, '--url', r.url, '--service-name', 'a'], env ? { env } : {});
      assert.equal(run.code, 2, run.stdout + run.stderr);
      const errors = run.stderr.split('\n').filter((l) => l.startsWith('error:'));
      assert.equal(errors.length, 1, run.stderr);
      assert.match(errors[0] as string, line);
      assert.equal(r.requests(), before, 'nothing sent');
    });

  test('a named pipe with a writer waiting: refused without opening it, so the writer stays where it was', async () => {
    const path = fifo();
    // `exec 3>pipe` waits in open() until a reader opens the pipe; it says "opened" when that happens.
    const writer = spawn('sh', ['-c', `exec 3>'${path}'; echo opened`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let said = '';
    writer.stdout.on('data', (d: Buffer) => (said += d.toString()));
    try {
      const run = await runCli([path, '--url', r.url, '--service-name', 'a']);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /a named pipe \(FIFO\)/);
      await sleep(200);
      assert.equal(said, '', 'the writer was let through');
    } finally {
      writer.kill();
    }
  });
});

describe('what used to pass in silence: one warning line each, and the push goes on', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['-H X-Scope-OrgID with --tenant-id', ['-H', 'X-Scope-OrgID: a', '--tenant-id', 'b'], /^warning: -H X-Scope-OrgID: a is replaced by --tenant-id b$/m],
    ['-H User-Agent', ['-H', 'User-Agent: mine/1'], /^warning: --url: the User-Agent header given replaces pyro-push's own$/m],
    ['an empty --label that removes nothing', ['-l', 'branch='], /^warning: label branch is empty and removes nothing \(no config label branch\); it is not sent$/m],
    ['spaces around = in a label', ['-l', 'env = ci'], /^warning: --label "env = ci": the spaces around "=" are part of the name and value \("env " = " ci"\); write it without them$/m],
    ['--profile-name that differs from what a lone profile shows', ['--profile-name', 'block'], /^warning: .*cpu\.pb\.gz: its sample types say process_cpu, sent as block because of --profile-name$/m],
  ];
  for (const [name, args, line] of cases)
    test(name, async () => {
      const run = await runCli([CPU, ...args, '--url', r.url, '--service-name', 'a']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stderr, line);
    });

  test('with several profiles --profile-name fills in only where the type cannot be told (--force-profile-name for all)', async () => {
    const dir = tempDir();
    writeTemp(dir, 'cpu.pb.gz', readFileSync(CPU));
    writeTemp(dir, 'contentions.pb.gz', readFileSync(fixture('contentions.pb.gz')));
    const n = r.received.length;
    const run = await runCli([dir, '--profile-name', 'block', '--url', r.url, '--service-name', 'a']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(r.received.slice(n).map((p) => p.labels.__name__).sort(), ['block', 'process_cpu']);
    assert.match(run.stderr, /cpu\.pb\.gz: sent as process_cpu, as its sample types say: with several profiles --profile-name block applies only to those whose type cannot be told \(--force-profile-name applies it to all\)$/m);
    const forced = await runCli([dir, '--profile-name', 'block', '--force-profile-name', '--url', r.url, '--service-name', 'a']);
    assert.equal(forced.code, 0);
    assert.deepEqual(r.received.slice(n + 2).map((p) => p.labels.__name__), ['block', 'block']);
  });

  test('a proxy that is down is named as the proxy', async () => {
    const run = await runCli([CPU, '--url', r.url, '--service-name', 'a', '--proxy-url', 'http://127.0.0.1:1', '--max-attempts', '1']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /: connection refused by the proxy http:\/\/127\.0\.0\.1:1\/ \(is it running\?\) after 1 attempt$/m);
  });
});

describe("other tools' habits", () => {
  const cases: Array<[string, string[], string]> = [
    ["curl's -u user:password (here -u is --url): the password is not printed", ['-u', `admin:${SECRETS.password}`], "error: --url (-u): the value is not an http(s) URL; -u is --url here, not curl's -u user:password: use --username and --password"],
    ["curl's -k", ['-u', 'http://127.0.0.1:1', '-k'], "error: -k/--insecure is curl's: here it is --insecure-skip-verify"],
    ["curl's --cacert", ['-u', 'http://127.0.0.1:1', '--cacert', 'ca.pem'], "error: --cacert is curl's: here it is --ca-file"],
    ["curl's --user", ['-u', 'http://127.0.0.1:1', '--user', 'a:b'], "error: --user is curl's: here it is --username with --password (or --password-file)"],
  ];
  for (const [name, args, line] of cases)
    test(name, async () => {
      const run = await runCli([CPU, ...args]);
      assert.equal(run.code, 2);
      assert.equal(run.stderr.trim().split('\n').at(-1), line);
    });

  test("profilecli's --extra-labels and --token work as --label and --bearer-token", async () => {
    const n = r.received.length;
    const run = await runCli([CPU, '--url', r.url, '--service-name', 'a', '--extra-labels', 'env=ci', '--token', SECRETS.token]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(r.received[n]?.labels.env, 'ci');
    assert.equal(r.received[n]?.headers.authorization, `Bearer ${SECRETS.token}`);
  });

  test('host:port without a scheme is asked for its scheme, not taken for curl', async () => {
    const run = await runCli([CPU, '-u', 'localhost:4040']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /must start with http:\/\/ or https:\/\//);
  });
});
