import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toPushOptions } from '../src/cli/flags.js';
import { resolveConfig as resolveWith } from '../src/config/resolve.js';
import { loadConfigFile } from '../src/config/yaml-file.js';
import type { CliOptions, Env } from '../src/config/options.js';
import { Secret } from '../src/secret.js';
import { fixture, tempDir, writeTemp } from './helpers.js';

/** As the CLI does it: flags to typed options, then resolution. */
const resolveConfig = (cli: CliOptions, env: Env = {}) => resolveWith(toPushOptions(cli), env, cli.config !== undefined ? loadConfigFile(cli.config, env) : {});
const resolve = (cli: CliOptions, env: Env = {}) => resolveConfig(cli, env).config;
const only = (cli: CliOptions, env: Env = {}) => {
  const [e] = resolve(cli, env).endpoints;
  assert.ok(e);
  return e;
};
const staging = fixture('config/staging.yaml');
const yamlEnv = { PYRO_TEST_PASSWORD: 'yaml-pass' };
const header = (e: ReturnType<typeof only>, name: string) => {
  const v = e.headers.get(name.toLowerCase())?.value;
  return v instanceof Secret ? v.reveal() : v;
};

describe('precedence: flags > environment > YAML > defaults', () => {
  test('defaults are Alloy’s', () => {
    const e = only({ url: ['http://h'] });
    assert.deepEqual([e.remoteTimeoutMs, e.retry, e.followRedirects, e.enableHttp2], [10_000, { maxAttempts: 10, minBackoffMs: 500, maxBackoffMs: 300_000, retryOn429: true }, true, false]);
  });
  test('YAML over defaults', () => {
    const e = only({ config: staging }, yamlEnv);
    assert.deepEqual([e.name, e.url, e.remoteTimeoutMs, e.retry], ['staging', 'http://127.0.0.1:4100', 3000, { maxAttempts: 4, minBackoffMs: 250, maxBackoffMs: 60_000, retryOn429: false }]);
    assert.equal(header(e, 'X-Scope-OrgID'), 'squad-1');
    assert.deepEqual(e.auth?.kind === 'basic' && [e.auth.username, e.auth.password.reveal()], ['u', 'yaml-pass']);
  });
  test('flags over YAML, setting by setting', () => {
    const e = only({ config: staging, timeout: '7s', maxAttempts: '2', retryOn429: true }, yamlEnv);
    assert.deepEqual([e.remoteTimeoutMs, e.retry.maxAttempts, e.retry.minBackoffMs, e.retry.retryOn429], [7000, 2, 250, true]);
  });
  test('environment tenant over YAML header, flag over environment', () => {
    assert.equal(header(only({ config: staging }, { ...yamlEnv, PYROSCOPE_TENANT_ID: 'env-t' }), 'X-Scope-OrgID'), 'env-t');
    assert.equal(header(only({ config: staging, tenantId: 'flag-t' }, { ...yamlEnv, PYROSCOPE_TENANT_ID: 'env-t' }), 'X-Scope-OrgID'), 'flag-t');
  });
  test('environment auth over YAML auth, flag auth over environment', () => {
    const envAuth = only({ config: staging }, { ...yamlEnv, PYROSCOPE_BEARER_TOKEN: 'env-tok' }).auth;
    assert.deepEqual(envAuth?.kind === 'authorization' && [envAuth.type, envAuth.credentials.reveal()], ['Bearer', 'env-tok']);
    const flagAuth = only({ config: staging, username: 'fu', password: 'fp' }, { ...yamlEnv, PYROSCOPE_BEARER_TOKEN: 'env-tok' }).auth;
    assert.deepEqual(flagAuth?.kind === 'basic' && [flagAuth.username, flagAuth.password.reveal()], ['fu', 'fp']);
  });
  test('--username with PYROSCOPE_PASSWORD combine', () => {
    const auth = only({ url: ['http://h'], username: 'fu' }, { PYROSCOPE_PASSWORD: 'ep', PYROSCOPE_USERNAME: 'eu' }).auth;
    assert.deepEqual(auth?.kind === 'basic' && [auth.username, auth.password.reveal()], ['fu', 'ep']);
  });
  test('PYROSCOPE_URL over YAML endpoints (with a warning), --url over PYROSCOPE_URL', () => {
    const r = resolveConfig({ config: staging }, { ...yamlEnv, PYROSCOPE_URL: 'http://env:1/' });
    assert.deepEqual(r.config.endpoints.map((e) => e.url), ['http://env:1']);
    assert.match(r.warnings.join('\n'), /PYROSCOPE_URL replaces the 1 endpoint\(s\) of .*staging.yaml/);
    assert.deepEqual(resolve({ url: ['http://a', 'http://b/prefix/'] }, { PYROSCOPE_URL: 'http://env:1' }).endpoints.map((e) => e.url), ['http://a', 'http://b/prefix']);
  });
  test('YAML external labels, flags on top', () => {
    const c = resolve({ config: staging, label: ['env=ci', 'team='], serviceName: 'api' }, yamlEnv);
    assert.deepEqual(c.externalLabels, { env: 'ci', team: '', service_name: 'api' });
  });
});

describe('mistakes are one line each, exit 2, naming the input and the fix', () => {
  const dir = tempDir();
  const cases: Array<[string, CliOptions, Env, RegExp]> = [
    ['no endpoint', {}, {}, /no endpoint: pass --url, set PYROSCOPE_URL, or list endpoints/],
    ['bad URL', { url: ['localhost:4040'] }, {}, /must start with http:\/\/ or https:\/\//],
    ['unparsable URL with a password', { url: ['http://user:hunter2@127.0.0.1:bad'] }, {}, /"http:\/\/user:<secret>@127\.0\.0\.1:bad" is not a URL/],
    ['credentials in URL', { url: ['http://u:p@h'] }, {}, /put credentials in --username\/--password/],
    ['bare number duration', { url: ['http://h'], timeout: '10' }, {}, /--timeout: invalid duration "10" \(add a unit/],
    ['max-attempts not a number', { url: ['http://h'], maxAttempts: 'x' }, {}, /--max-attempts: expected a whole number ≥ 0/],
    ['--max-backoff below the default minimum', { url: ['http://h'], maxBackoff: '100ms' }, {}, /^the minimum backoff \(500ms\) is above the maximum \(100ms\); raise --max-backoff or lower --min-backoff$/],
    ['max-attempts 0 without deadline', { url: ['http://h'], maxAttempts: '0' }, {}, /retries until --deadline: set --deadline/],
    ['min backoff above max', { url: ['http://h'], minBackoff: '2m', maxBackoff: '1m' }, {}, /minimum backoff \(2m\) is above the maximum \(1m\)/],
    ['password without username', { url: ['http://h'], password: 'x' }, {}, /basic auth needs a username: set --username/],
    ['username without password', { url: ['http://h'], username: 'x' }, {}, /needs a password: set --password, --password-file or PYROSCOPE_PASSWORD/],
    ['password and password file', { url: ['http://h'], username: 'u', password: 'x', passwordFile: '/p' }, {}, /--password and --password-file are both set/],
    ['basic and bearer flags', { url: ['http://h'], username: 'u', bearerToken: 't' }, {}, /--username\/--password and --bearer-token are both given/],
    ['basic and bearer env', { url: ['http://h'] }, { PYROSCOPE_USERNAME: 'u', PYROSCOPE_BEARER_TOKEN: 't' }, /PYROSCOPE_USERNAME\/PYROSCOPE_PASSWORD and PYROSCOPE_BEARER_TOKEN are both set/],
    ['missing password file', { url: ['http://h'], username: 'u', passwordFile: '/nonexistent/pw' }, {}, /--password-file \/nonexistent\/pw: no such file/],
    ['empty token file', { url: ['http://h'], bearerTokenFile: writeTemp(dir, 'empty', '\n') }, {}, /--bearer-token-file .*empty: file is empty/],
    ['bad tenant', { url: ['http://h'], tenantId: 'a b' }, {}, /tenant "a b": use at most 150 of/],
    ['reserved header', { url: ['http://h'], header: ['Content-Type: text/plain'] }, {}, /Content-Type is set by pyro-push/],
    ['malformed header', { url: ['http://h'], header: ['NoColon'] }, {}, /--header "NoColon": expected 'Name: value'/],
    ['duplicate endpoint', { url: ['http://h', 'http://h/'] }, {}, /endpoint "http:\/\/h" is listed twice/],
    ['unknown YAML key with suggestion', { config: fixture('config/unknown-key.yaml') }, {}, /unknown-key\.yaml:5: endpoints\[0\]\.basic_auth\.pasword: unknown key \(did you mean "password"\?\)/],
    ['unknown top-level key', { config: fixture('config/top-typo.yaml') }, {}, /top-typo\.yaml:1: endpoint: unknown key \(did you mean "endpoints"\?\)/],
    ['wrong YAML type', { config: fixture('config/bad-type.yaml') }, {}, /bad-type\.yaml:3: endpoints\[0\]\.max_backoff_retries: expected a whole number ≥ 0, got "lots"/],
    ['two auth schemes in YAML', { config: fixture('config/two-auth.yaml') }, {}, /endpoints\[0\]: basic_auth and bearer_token are both set/],
    ['invalid YAML', { config: fixture('config/broken.yaml') }, {}, /broken\.yaml:3: invalid YAML/],
    ['a YAML duration without a unit, with its line', { config: fixture('config/bare-duration.yaml') }, {}, /^.*bare-duration\.yaml:3: endpoints\[0\]\.remote_timeout: invalid duration "10" \(add a unit: 10s or 10ms\)$/],
    ['password and password_file, with the line', { config: fixture('config/password-twice.yaml') }, {}, /^.*password-twice\.yaml:6: endpoints\[0\]\.basic_auth\.password_file: password is set too; use one of password and password_file$/],
    ['unset ${VAR}', { config: fixture('config/unset-var.yaml') }, {}, /unset-var\.yaml:2: endpoints\[0\]\.url: \$\{PYRO_TEST_UNSET_URL\} is not set/],
    ['missing config', { config: '/nonexistent.yaml' }, {}, /--config \/nonexistent\.yaml: no such file/],
  ];
  for (const [name, cli, env, expected] of cases)
    test(name, () =>
      assert.throws(
        () => resolveConfig(cli, env),
        (err: Error & { exitCode?: number }) => {
          assert.match(err.message, expected);
          assert.equal(err.exitCode, 2);
          assert.ok(!err.message.includes('\n'), 'one line');
          return true;
        },
      ));
});

test('$$ is a literal dollar in YAML strings', () => {
  const dir = tempDir();
  const path = writeTemp(dir, 'c.yaml', 'endpoints:\n  - url: http://h\n    bearer_token: "a$$b${T}"\n');
  const e = only({ config: path }, { T: 'c' });
  assert.deepEqual(e.auth?.kind === 'authorization' && e.auth.credentials.reveal(), 'a$bc');
});

test('a secret file is re-read on every use', () => {
  const dir = tempDir();
  const path = writeTemp(dir, 'token', 'one\n');
  const e = only({ url: ['http://h'], bearerTokenFile: path });
  assert.ok(e.auth?.kind === 'authorization');
  assert.equal(e.auth.credentials.reveal(), 'one');
  writeTemp(dir, 'token', 'two');
  assert.equal(e.auth.credentials.reveal(), 'two');
});

describe("Alloy's newer YAML keys", () => {
  test('http_headers with a list of values, proxy_connect_header likewise, tracing ignored with a note', () => {
    const file = writeTemp(
      tempDir(),
      'newer.yaml',
      'endpoints:\n  - url: http://127.0.0.1:4040\n    headers: { X-A: one }\n    http_headers:\n      X-B: [two, three]\n      X-C: four\n    proxy_url: http://127.0.0.1:3128\n    proxy_connect_header:\n      X-P: [p1, p2]\ntracing:\n  sampling_fraction: 0.1\n',
    );
    const { config, warnings } = resolveConfig({ config: file });
    const e = config.endpoints[0];
    assert.ok(e);
    assert.deepEqual([header(e, 'X-A'), header(e, 'X-B'), header(e, 'X-C')], ['one', 'two, three', 'four']);
    assert.equal(e.proxy.mode === 'url' && e.proxy.connectHeaders['X-P']?.reveal(), 'p1, p2');
    assert.deepEqual(warnings, [`${file}:10: tracing is ignored (pyro-push sends no trace context)`]);
  });
  test('a header in both headers and http_headers is refused', () => {
    const file = writeTemp(tempDir(), 'twice.yaml', 'endpoints:\n  - url: http://127.0.0.1:4040\n    headers: { X-A: one }\n    http_headers: { x-a: [two] }\n');
    assert.throws(() => resolveConfig({ config: file }), /endpoints\[0\]\.http_headers: x-a is also in headers; set it in one of them/);
  });
});
