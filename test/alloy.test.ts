import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { envForResolve, isAlloyConfig, isAlloyConfigFile, loadAlloyConfig, parseAlloyConfig } from '../src/config/alloy/index.js';
import type { Env } from '../src/config/options.js';
import { type Endpoint, resolveConfig } from '../src/config/resolve.js';
import { PyroPushError } from '../src/errors.js';
import { push } from '../src/push.js';
import { startReceiver } from '../src/receiver/receiver.js';
import { Secret } from '../src/secret.js';
import { fixture, tempDir, writeTemp } from './helpers.js';

const seed = fixture('alloy/seed.alloy');
const full = fixture('alloy/full.alloy');
const several = fixture('alloy/several.alloy');
const seedEnv = { PYROSCOPE_USER: '123456', PYROSCOPE_PASSWORD: 'glc-pa55' };

/** The one line a mistake gives, with its code and exit code checked. */
function mistake(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof PyroPushError, `not a PyroPushError: ${String(err)}`);
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.exitCode, 2);
    return err.message;
  }
  assert.fail('no error');
}

const reveal = (v: unknown) => (v instanceof Secret ? v.reveal() : v);
const headersOf = (e: Endpoint) => Object.fromEntries([...e.headers.values()].map((h) => [h.name, reveal(h.value)]));

describe('the seed example', () => {
  test('parsed and mapped to pyroscope.write names, the scrape component ignored with one note', () => {
    assert.deepEqual(loadAlloyConfig(seed, seedEnv), {
      config: {
        endpoints: [
          {
            url: 'https://profiles-prod-001.grafana.net',
            basic_auth: { username: '123456', password: 'glc-pa55' },
            headers: { 'X-Scope-OrgID': 'squad-1' },
            remote_timeout: '10s',
          },
        ],
        external_labels: { env: 'staging', team: 'profiling' },
      },
      notes: [`${seed}: only pyroscope.write "staging" is read; ignored: pyroscope.scrape "default"`],
      envRead: ['PYROSCOPE_USER', 'PYROSCOPE_PASSWORD'],
    });
  });

  test('resolved into an Endpoint as the YAML config would be', () => {
    const { config: yaml, envRead } = loadAlloyConfig(seed, seedEnv);
    const { config, warnings } = resolveConfig({ config: seed }, envForResolve(seedEnv, envRead), yaml);
    assert.deepEqual(warnings, []);
    const [e] = config.endpoints;
    assert.ok(e && config.endpoints.length === 1);
    assert.deepEqual([e.name, e.url, e.remoteTimeoutMs, e.retry], ['https://profiles-prod-001.grafana.net', 'https://profiles-prod-001.grafana.net', 10_000, { maxAttempts: 10, minBackoffMs: 500, maxBackoffMs: 300_000, retryOn429: true }]);
    assert.deepEqual(headersOf(e), { 'X-Scope-OrgID': 'squad-1' });
    assert.deepEqual(e.auth?.kind === 'basic' && [e.auth.username, e.auth.password.reveal()], ['123456', 'glc-pa55']);
    assert.deepEqual(config.externalLabels, { env: 'staging', team: 'profiling' });
  });

  test('pyro-push’s own variables the file read are the file’s, not the environment layer’s', () => {
    assert.deepEqual(envForResolve({ ...seedEnv, PYROSCOPE_URL: 'http://u', PYROSCOPE_TENANT_ID: 't', HTTPS_PROXY: 'http://p' }, ['PYROSCOPE_USER', 'PYROSCOPE_PASSWORD', 'PYROSCOPE_URL', 'HTTPS_PROXY']), { PYROSCOPE_USER: '123456', PYROSCOPE_TENANT_ID: 't', HTTPS_PROXY: 'http://p' });
    // Without it, the seed's PYROSCOPE_PASSWORD would be taken as the environment's basic auth, which outranks the file's.
    const { config: yaml } = loadAlloyConfig(seed, seedEnv);
    assert.throws(() => resolveConfig({ config: seed }, seedEnv, yaml), /basic auth needs a username: set PYROSCOPE_USERNAME/);
  });

  test('an unset variable read by env() or sys.env() is an error naming its place', () => {
    assert.equal(
      mistake(() => loadAlloyConfig(seed, { PYROSCOPE_USER: 'u' })),
      `${seed}:6:18: endpoint.basic_auth.password: sys.env("PYROSCOPE_PASSWORD") is not set in the environment; set it, or give a default with coalesce(sys.env("PYROSCOPE_PASSWORD"), "…")`,
    );
    assert.equal(
      mistake(() => loadAlloyConfig(seed, { PYROSCOPE_PASSWORD: 'p' })),
      `${seed}:5:18: endpoint.basic_auth.username: env("PYROSCOPE_USER") is not set in the environment; set it, or give a default with coalesce(env("PYROSCOPE_USER"), "…")`,
    );
  });

  test('a variable set to "" is taken as "" (Alloy reads os.Getenv)', () => {
    const { config } = loadAlloyConfig(seed, { PYROSCOPE_USER: 'u', PYROSCOPE_PASSWORD: '' });
    assert.deepEqual(config.endpoints?.[0]?.basic_auth, { username: 'u', password: '' });
  });
});

describe('every endpoint setting, several endpoints, nested blocks', () => {
  const env = { PYRO_TOKEN: 'tok-123' };
  test('mapped line by line; Alloy-only arguments are notes', () => {
    assert.deepEqual(loadAlloyConfig(full, env), {
      config: {
        endpoints: [
          {
            name: 'primary',
            url: 'http://127.0.0.1:4100/prefix/',
            remote_timeout: '3s',
            min_backoff_period: '250ms',
            max_backoff_period: '1m',
            max_backoff_retries: 4,
            retry_on_http_429: false,
            follow_redirects: false,
            enable_http2: false,
            headers: { 'X-Scope-OrgID': 'squad-1', X_Note: 'tab\there é!', 'X-Extra': 'a, b' },
            authorization: { type: 'Bearer', credentials: 'tok-123' },
            tls_config: { server_name: 'pyroscope.internal', min_version: 'TLS13' },
            proxy_url: 'http://proxy.corp:3128',
            no_proxy: 'localhost,.internal',
            proxy_connect_header: { 'X-Proxy-Team': 'profiling' },
          },
          {
            name: 'backup',
            url: 'https://backup.example.com',
            oauth2: {
              client_id: 'pyro-push',
              client_secret: 'fallback-secret',
              token_url: 'https://auth.example.com/token',
              scopes: ['profiles:write', 'profiles:read'],
              endpoint_params: { audience: 'pyroscope' },
              proxy_from_environment: true,
              tls_config: { insecure_skip_verify: true },
            },
          },
        ],
        external_labels: { env: 'ci', team: 'profiling' },
      },
      notes: [
        `${full}: only pyroscope.write "full" is read; ignored: logging`,
        `${full}:19:5: endpoint.debug_info_upload_timeout is ignored: pyro-push uploads no debug info`,
        `${full}:64:3: tracing is ignored: pyro-push sends no trace context`,
      ],
      envRead: ['PYRO_TOKEN', 'UNSET_SECRET'],
    });
  });

  test('resolved: two Endpoints with their own retry, headers, auth, TLS and proxy', () => {
    const { config: yaml, envRead } = loadAlloyConfig(full, env);
    const { config } = resolveConfig({ config: full }, envForResolve(env, envRead), yaml);
    const [a, b] = config.endpoints;
    assert.ok(a && b && config.endpoints.length === 2);
    assert.deepEqual([a.name, a.url, a.remoteTimeoutMs, a.retry, a.followRedirects, a.enableHttp2], ['primary', 'http://127.0.0.1:4100/prefix', 3000, { maxAttempts: 4, minBackoffMs: 250, maxBackoffMs: 60_000, retryOn429: false }, false, false]);
    assert.deepEqual(headersOf(a), { 'X-Scope-OrgID': 'squad-1', X_Note: 'tab\there é!', 'X-Extra': 'a, b' });
    assert.deepEqual(a.auth?.kind === 'authorization' && [a.auth.type, a.auth.credentials.reveal()], ['Bearer', 'tok-123']);
    assert.deepEqual([a.tls.serverName, a.tls.minVersion, a.tls.insecureSkipVerify], ['pyroscope.internal', 'TLSv1.3', false]);
    assert.deepEqual(a.proxy.mode === 'url' && [a.proxy.url.reveal(), a.proxy.noProxy, reveal(a.proxy.connectHeaders['X-Proxy-Team'])], ['http://proxy.corp:3128/', ['localhost', '.internal'], 'profiling']);
    assert.deepEqual([b.name, b.url, b.remoteTimeoutMs, b.retry.maxAttempts, b.proxy.mode, b.enableHttp2], ['backup', 'https://backup.example.com', 10_000, 10, 'direct', false]); // pyro-push's default (HTTP/1.1), not Alloy's
    assert.ok(b.auth?.kind === 'oauth2');
    const o = b.auth.oauth2;
    assert.deepEqual([o.clientId, o.clientSecret.reveal(), o.tokenUrl, o.scopes, o.endpointParams, o.tls.insecureSkipVerify, o.proxy.mode], ['pyro-push', 'fallback-secret', 'https://auth.example.com/token', ['profiles:write', 'profiles:read'], { audience: 'pyroscope' }, true, 'environment']);
    assert.deepEqual(config.externalLabels, { env: 'ci', team: 'profiling' });
  });

  test('coalesce() takes the variable when it is set', () => {
    const { config } = loadAlloyConfig(full, { ...env, UNSET_SECRET: 'from-env' });
    assert.equal(config.endpoints?.[1]?.oauth2?.client_secret, 'from-env');
  });

  test('a Grafana Agent flow file (.river) reads the same way', () => {
    const river = fixture('alloy/agent.river');
    assert.deepEqual(loadAlloyConfig(river, {}), {
      config: { endpoints: [{ url: 'https://profiles-prod-001.grafana.net', basic_auth: { username: '123456', password_file: '/var/run/secrets/grafana-cloud-token' } }] },
      notes: [`${river}: only pyroscope.write "cloud" is read; ignored: prometheus.exporter.unix "node", pyroscope.ebpf "default"`],
      envRead: [],
    });
  });
});

describe('several pyroscope.write components', () => {
  test('without --component: an error listing the labels', () => {
    assert.equal(mistake(() => loadAlloyConfig(several, {})), `${several}: 2 pyroscope.write components ("staging", "prod"); choose one with --component <label>`);
  });
  test('--component picks one; the others are in the one note', () => {
    assert.deepEqual(loadAlloyConfig(several, {}, 'prod'), {
      config: {
        endpoints: [
          { name: 'prod-a', url: 'http://prod-a.example.com:4040' },
          { name: 'prod-b', url: 'http://prod-b.example.com:4040' },
        ],
        external_labels: { env: 'prod' },
      },
      notes: [`${several}: only pyroscope.write "prod" is read; ignored: pyroscope.write "staging", pyroscope.scrape "default"`],
      envRead: [],
    });
    assert.deepEqual(loadAlloyConfig(several, {}, 'staging').config, { endpoints: [{ url: 'http://staging.example.com:4040' }], external_labels: { env: 'staging' } });
  });
  test('a --component the file does not have', () => {
    assert.equal(mistake(() => loadAlloyConfig(several, {}, 'dev')), `${several}: --component dev: no pyroscope.write "dev" in the file (it has "staging", "prod")`);
    assert.equal(mistake(() => loadAlloyConfig(seed, seedEnv, 'dev')), `${seed}: --component dev: no pyroscope.write "dev" in the file (it has "staging")`);
  });
});

describe('a reference to another component', () => {
  test('is an error naming the line and what to write instead', () => {
    const file = fixture('alloy/reference.alloy');
    assert.equal(
      mistake(() => loadAlloyConfig(file, {})),
      `${file}:9:20: local.file.token.content refers to another component, which pyro-push does not run: write the value itself, read it with sys.env("NAME"), or use a *_file attribute (password_file, bearer_token_file, credentials_file)`,
    );
  });
  test('in an ignored component it is not evaluated', () => {
    // The seed's scrape has forward_to = [pyroscope.write.staging.receiver].
    assert.doesNotThrow(() => loadAlloyConfig(seed, seedEnv));
  });
});

describe('the grammar', () => {
  const read = (text: string, env: Env = {}) => parseAlloyConfig('t.alloy', text, env);
  const labels = (body: string, env: Env = {}) => read(`pyroscope.write "a" {\n  external_labels = ${body}\n}\n`, env).config.external_labels;

  test('strings: Go escapes, bytes, code points; raw strings keep backslashes and span lines', () => {
    assert.deepEqual(labels(String.raw`{ a = "q\"b\\s\n\t\a\v\f\r", b = "\101\x42\u00e9\U0001F600", c = ` + '`raw\\n "x"\nline2`' + ' }'), {
      a: 'q"b\\s\n\t\x07\v\f\r',
      b: 'ABé😀',
      c: 'raw\\n "x"\nline2',
    });
  });
  test('quoted and bare keys, trailing commas, numbers as strings, null leaves a setting unset', () => {
    assert.deepEqual(labels('{ "team.name" = "x", port = 4040, ratio = 1.5, oct = 010, }'), { 'team.name': 'x', port: '4040', ratio: '1.5', oct: '8' });
    const { config } = read('pyroscope.write "a" {\n  endpoint {\n    url = "http://h"\n    name = null\n    max_backoff_retries = "3"\n  }\n}\n');
    assert.deepEqual(config.endpoints, [{ url: 'http://h', max_backoff_retries: 3 }]);
  });
  test('comments: //, /* */ anywhere, a BOM, CRLF line ends, one-line blocks, empty blocks', () => {
    const text = '\ufeff// head\r\npyroscope.write "a" { // open\r\n  /* before */ endpoint { url = "http://h" } /* after */\r\n  external_labels = { /* in */ env = "x" /* end */ }\r\n}\r\nlogging { }\r\n';
    assert.deepEqual(read(text), { config: { endpoints: [{ url: 'http://h' }], external_labels: { env: 'x' } }, notes: ['t.alloy: only pyroscope.write "a" is read; ignored: logging'], envRead: [] });
  });
  test('+ joins strings or adds numbers, parentheses, unary minus and not, nested calls', () => {
    const { config } = read('pyroscope.write "a" {\n  endpoint {\n    url = "http://" + (sys.env("HOST") + ":" + "4040")\n    max_backoff_retries = -(-3) + 1\n    enable_http2 = !true\n    bearer_token = convert.nonsensitive(coalesce(env("NONE"), nonsensitive("t")))\n  }\n}\n', { HOST: 'h' });
    assert.deepEqual(config.endpoints, [{ url: 'http://h:4040', max_backoff_retries: 4, enable_http2: false, bearer_token: 't' }]);
  });
  test('told by extension or by a component block in it', () => {
    assert.equal(isAlloyConfig('agent.alloy', ''), true);
    assert.equal(isAlloyConfig('config.river', ''), true);
    assert.equal(isAlloyConfig('pyro.conf', 'logging {}\npyroscope.write "x" {\n}'), true);
    assert.equal(isAlloyConfig('pyro.conf', '  local.file "t" {'), true);
    assert.equal(isAlloyConfig('pyro.yaml', readFileSync(fixture('config/staging.yaml'), 'utf8')), false);
    assert.equal(isAlloyConfigFile(fixture('config/staging.yaml')), false);
    assert.equal(isAlloyConfigFile(seed), true);
    assert.equal(isAlloyConfigFile('/no/such/file.yaml'), false);
  });
});

describe('mistakes: one line, file:line:col, exit 2', () => {
  const dir = tempDir();
  const inEndpoint = (body: string) => `pyroscope.write "a" {\n  endpoint {\n${body}\n  }\n}\n`;
  const url = '    url = "http://h"\n';
  const cases: Array<[string, string, string, string?]> = [
    ['a # comment', '# hi\n', '1:1: Alloy has no # comments; use // or /* */'],
    ['a single-quoted string', inEndpoint("    url = 'http://h'"), '3:11: illegal single-quoted string; use double quotes'],
    ['an unterminated string', inEndpoint('    url = "http://h'), '3:11: string literal not terminated'],
    ['an unterminated raw string', inEndpoint('    url = `http://h'), '3:11: string literal not terminated'],
    ['an unknown escape', inEndpoint(String.raw`    url = "a\qb"`), '3:13: unknown escape sequence'],
    ['a bad \\x escape', inEndpoint(String.raw`    url = "a\xZZ"`), '3:13: illegal character "Z" in escape sequence'],
    ['a surrogate code point', inEndpoint(String.raw`    url = "\uD800"`), '3:12: escape sequence is invalid Unicode code point'],
    ['an unterminated block comment', 'logging {}\n/* never closed\n', '2:1: block comment not terminated'],
    ['an illegal character', inEndpoint('    url = "http://h";'), "3:21: illegal character U+003B ';'"],
    ['a lone |', inEndpoint('    enable_http2 = true | false'), '3:26: missing second | in ||'],
    ['an exponent without digits', inEndpoint('    max_backoff_retries = 1e'), '3:27: exponent has no digits'],
    ['a multi-line list without its last comma', inEndpoint(`${url}    oauth2 {\n      scopes = [\n        "a"\n      ]\n    }`), '6:12: missing "," in list (got a new line); a list that spans lines needs a comma after every item, the last one too'],
    ['a multi-line object without its last comma', inEndpoint(`${url}    headers = {\n      a = "b"\n    }`), '5:14: missing "," in object (got a new line); an object that spans lines needs a comma after every field, the last one too'],
    ['two statements on one line', 'pyroscope.write "a" {\n  endpoint { url = "http://h" name = "b" }\n}\n', '2:31: expected a new line after the attribute, got identifier name'],
    ['a missing }', 'pyroscope.write "a" {\n  endpoint {\n    url = "http://h"\n  }\n', '5:1: expected "}" to close pyroscope.write, got the end of the file'],
    ['a label that is no identifier', 'pyroscope.write "with space" {\n}\n', '1:17: expected block label to be a valid identifier, but got "with space"'],
    ['a raw-string label', 'pyroscope.write `a` {\n}\n', '1:17: expected block label to be a double quoted string'],
    ['a label on an attribute', 'pyroscope.write "a" {\n  url "x" = "http://h"\n}\n', '2:7: attribute names may not have labels'],
    ['a dotted attribute', 'a.b = 1\n', '1:1: attribute names may only consist of a single identifier with no "." (a.b)'],
    ['a block as a value', inEndpoint('    url = endpoint {\n    }'), '3:20: cannot use a block as an expression (a block is written without "=")'],
    ['an object key that is a number', 'pyroscope.write "a" {\n  external_labels = { 1 = "x" }\n}\n', '2:23: expected field name (string or identifier), got number 1'],
    ['a pyroscope.write without a label', 'pyroscope.write {\n}\n', '1:1: pyroscope.write needs a label, e.g. pyroscope.write "default" {'],
    ['the same label twice', 'pyroscope.write "a" {\n}\n\npyroscope.write "a" {\n}\n', '4:1: pyroscope.write "a" is declared twice (first on line 1)'],
    ['an unknown attribute', inEndpoint('    urll = "http://h"'), '3:5: endpoint.urll: unknown attribute (did you mean "url"?)'],
    ['an unknown block', inEndpoint(`${url}    basic_auht {\n    }`), '4:5: endpoint.basic_auht: unknown block (did you mean "basic_auth"?)'],
    ['an unknown top-level argument', 'pyroscope.write "a" {\n  endpoints {\n  }\n}\n', '2:3: endpoints: unknown block (did you mean "endpoint"?)'],
    ['an unknown attribute in an ignored block', 'pyroscope.write "a" {\n  tracing {\n    jaeger = true\n  }\n}\n', '3:5: tracing.jaeger: unknown attribute'],
    ['a block written as an attribute', inEndpoint(`${url}    basic_auth = { username = "u" }`), '4:5: endpoint.basic_auth is a block: write basic_auth { … } without "="'],
    ['an attribute written as a block', inEndpoint(`${url}    headers {\n      a = "b"\n    }`), '4:5: endpoint.headers is an attribute: write headers = …'],
    ['a label on a nested block', 'pyroscope.write "a" {\n  endpoint "x" {\n  }\n}\n', '2:12: endpoint takes no label'],
    ['an attribute set twice', inEndpoint(`${url}    url = "http://i"`), '4:5: endpoint.url is set twice (first on line 3)'],
    ['a block given twice', inEndpoint(`${url}    tls_config {\n    }\n    tls_config {\n    }`), '6:5: endpoint.tls_config is set twice (first on line 4)'],
    ['a key given twice', 'pyroscope.write "a" {\n  external_labels = { env = "a", "env" = "b" }\n}\n', '2:34: the key "env" is given twice'],
    ['a string for a number', inEndpoint(`${url}    max_backoff_retries = "many"`), '4:27: endpoint.max_backoff_retries: expected a whole number ≥ 0, got a string'],
    ['a negative number', inEndpoint(`${url}    max_backoff_retries = -1`), '4:27: endpoint.max_backoff_retries: expected a whole number ≥ 0, got -1'],
    ['a string for a bool', inEndpoint(`${url}    retry_on_http_429 = "yes"`), '4:25: endpoint.retry_on_http_429: expected true or false, got a string'],
    ['a number for a duration', inEndpoint(`${url}    remote_timeout = 10`), '4:22: endpoint.remote_timeout: expected a duration string such as "10s", got a number'],
    ['a duration without unit', inEndpoint(`${url}    remote_timeout = "10"`), '4:22: endpoint.remote_timeout: invalid duration "10" (add a unit: 10s or 10ms)'],
    ['an unknown TLS version', inEndpoint(`${url}    tls_config {\n      min_version = "TLS1.2"\n    }`), '5:21: endpoint.tls_config.min_version: "TLS1.2" is not one of TLS10, TLS11, TLS12, TLS13'],
    ['a list for a map', 'pyroscope.write "a" {\n  external_labels = ["env"]\n}\n', '2:21: external_labels: expected an object such as { "name" = "value" }, got a list'],
    ['a bool for a label value', 'pyroscope.write "a" {\n  external_labels = { env = true }\n}\n', '2:29: external_labels.env: expected a string, got a bool'],
    ['a string for a list', inEndpoint(`${url}    oauth2 {\n      scopes = "a"\n    }`), '5:16: endpoint.oauth2.scopes: expected a list of strings, got a string'],
    ['an empty header value list', inEndpoint(`${url}    proxy_url = "http://p"\n    proxy_connect_header = { a = [] }`), '5:34: endpoint.proxy_connect_header.a: the list of values is empty'],
    ['a header in headers and http_headers', inEndpoint(`${url}    headers = { "X-A" = "1" }\n    http_headers = { "x-a" = ["2"] }`), '5:5: endpoint.http_headers: x-a is also in headers; set it in one of them'],
    ['an endpoint without url', inEndpoint('    name = "x"'), '2:3: endpoint: url is required'],
    ['two kinds of auth', inEndpoint(`${url}    bearer_token = "t"\n    basic_auth {\n      username = "u"\n    }`), '2:3: endpoint: set at most one of basic_auth, authorization, oauth2, bearer_token, bearer_token_file (this one has basic_auth and bearer_token)'],
    ['a reference to another component', inEndpoint(`${url}    basic_auth {\n      username = "u"\n      password = local.file.pw.content\n    }`), '6:18: local.file.pw.content refers to another component, which pyro-push does not run: write the value itself, read it with sys.env("NAME"), or use a *_file attribute (password_file, bearer_token_file, credentials_file)'],
    ['an indexed reference', 'pyroscope.write "a" {\n  external_labels = discovery.x.targets[0]\n}\n', '2:21: discovery.x.targets refers to another component, which pyro-push does not run: write the value itself, read it with sys.env("NAME"), or use a *_file attribute (password_file, bearer_token_file, credentials_file)'],
    ['a function not evaluated', inEndpoint('    url = string.format("http://%s", "h")'), '3:11: string.format() is not evaluated here (pyro-push evaluates values, lists, objects, +, sys.env(), env(), coalesce() and convert.nonsensitive()); write the value itself'],
    ['a constant not evaluated', inEndpoint('    url = constants.hostname'), '3:11: constants.hostname is not evaluated here (pyro-push evaluates values, lists, objects, +, sys.env(), env(), coalesce() and convert.nonsensitive()); write the value itself'],
    ['an operator not evaluated', inEndpoint(`${url}    max_backoff_retries = 2 * 3`), '4:29: the operator * is not evaluated here (pyro-push evaluates values, lists, objects, +, sys.env(), env(), coalesce() and convert.nonsensitive()); write the value itself'],
    ['+ on a string and a number', inEndpoint('    url = "http://h:" + 4040'), '3:23: + needs two strings or two numbers, got a string and a number'],
    ['an unquoted string', inEndpoint('    url = localhost'), '3:11: identifier "localhost" does not exist (a string needs double quotes: "localhost")'],
    ['sys.env with two arguments', inEndpoint('    url = sys.env("A", "B")'), '3:11: sys.env() takes one string, got 2 arguments'],
    ['an unset variable', inEndpoint('    url = "http://" + sys.env("PYRO_HOST")'), '3:11: endpoint.url: sys.env("PYRO_HOST") is not set in the environment; set it, or give a default with coalesce(sys.env("PYRO_HOST"), "…")'],
  ];
  for (const [name, text, expected] of cases)
    test(name, () => {
      const file = writeTemp(dir, 'case.alloy', text);
      assert.equal(mistake(() => loadAlloyConfig(file, {})), `${file}:${expected}`);
    });

  test('no pyroscope.write at all', () => {
    const file = writeTemp(dir, 'none.alloy', 'logging {\n}\n');
    assert.equal(mistake(() => loadAlloyConfig(file, {})), `${file}: no pyroscope.write block; pyro-push reads its endpoints from one (pyroscope.write "default" { endpoint { url = "…" } })`);
  });
  test('an unreadable file', () => {
    assert.equal(mistake(() => loadAlloyConfig('/no/such/agent.alloy', {})), '--config /no/such/agent.alloy: no such file or directory');
  });
});

test('pushed end to end: push() with { config: agent.alloy } into a real receiver', async () => {
  const r = await startReceiver('127.0.0.1', 0);
  try {
    const file = writeTemp(tempDir(), 'agent.alloy', readFileSync(seed, 'utf8').replace('"https://profiles-prod-001.grafana.net"', 'sys.env("RECEIVER_URL")'));
    const warnings: string[] = [];
    const report = await push([fixture('cpu.pb.gz')], { config: file, serviceName: 'app' }, { env: { ...seedEnv, RECEIVER_URL: r.url }, onWarning: (w) => warnings.push(w) });
    assert.deepEqual(report.results.map((p) => p.endpoints.map((e) => [e.endpoint, e.ok])), [[[r.url, true]]]);
    assert.deepEqual(warnings, [`${file}: only pyroscope.write "staging" is read; ignored: pyroscope.scrape "default"`]);
    const [got] = r.received;
    assert.deepEqual(got?.labels, { __name__: 'process_cpu', __delta__: 'false', env: 'staging', team: 'profiling', service_name: 'app' });
    assert.equal(got?.headers['x-scope-orgid'], 'squad-1');
    assert.equal(got?.headers.authorization, `Basic ${Buffer.from('123456:glc-pa55').toString('base64')}`);
    assert.deepEqual(Buffer.from(got?.rawProfile ?? []), readFileSync(fixture('cpu.pb.gz')));
  } finally {
    await r.close();
  }
});
