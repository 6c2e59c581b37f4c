import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Function as Fn, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { request } from 'undici';
import { protocolProblems } from '../src/delivery/protocols.js';
import { decodeProfile } from '../src/profile/pprof.js';
import {
  INGEST_API,
  ingestLabelProblems,
  ingestName,
  ingestProblems,
  ingestProfileName,
  ingestTimes,
  jfrTimeRange,
  multipartBody,
  parseIngestName,
  pprofShape,
  prepareJfr,
} from '../src/protocol/ingest.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { fixture, runCli, tempDir, writeTemp } from './helpers.js';

const CPU = fixture('cpu.pb.gz');
const CPU_BYTES = new Uint8Array(readFileSync(CPU));
const FORMATS = join(import.meta.dirname, '../../shared/formats');
const JFR = join(FORMATS, 'java-dump1.jfr.gz');
const JFR_LABELS = join(FORMATS, 'java-dump1.labels.pb.gz');
const FAST = ['--min-backoff', '1ms', '--max-backoff', '5ms'];

/** A one-sample profile of these sample types, with this time and duration. */
function profileOf(types: Array<[string, string]>, timeNanos = 0n, durationNanos = 0n): Buffer {
  const st = new StringTable();
  const fn = new Fn({ id: 1, name: st.dedup('main.work'), filename: st.dedup('main.go') });
  const p = new Profile({
    stringTable: st,
    sampleType: types.map(([t, u]) => new ValueType({ type: st.dedup(t), unit: st.dedup(u) })),
    function: [fn],
    location: [new Location({ id: 1, line: [new Line({ functionId: 1, line: 3 })] })],
    sample: [new Sample({ locationId: [1], value: types.map(() => 7) })],
    timeNanos,
    durationNanos,
  });
  return Buffer.from(p.encode());
}

const post = (url: string, body: Uint8Array | string, headers: Record<string, string>) =>
  request(url, { method: 'POST', body, headers }).then(async (res) => ({ status: res.statusCode, type: res.headers['content-type'], body: await res.body.text() }));

describe('the name parameter, as the server reads it (api/model/labelset)', () => {
  test('service_name is the application name; tags sorted; __name__, __delta__, empty values left out', () => {
    assert.equal(ingestName({ __name__: 'process_cpu', __delta__: 'false', service_name: 'api', region: 'eu', env: 'ci', gone: '' }), 'api{env=ci,region=eu}');
    assert.equal(ingestName({ __name__: 'process_cpu' }), 'unknown_service{}');
  });

  test('what pyro-push writes, the server parses back to the same labels', () => {
    const labels = { service_name: 'ns/api-v2.1', env: 'a=b{c', 'k8s.pod': 'p 1', __session_id__: 's' };
    const parsed = parseIngestName(ingestName(labels));
    assert.ok('labels' in parsed);
    assert.deepEqual(Object.fromEntries(parsed.labels), { __name__: 'ns/api-v2.1', env: 'a=b{c', 'k8s.pod': 'p 1', __session_id__: 's' });
  });

  test("the server's own parse: trims, stops a value at , and }, refuses bad names", () => {
    const ok = parseIngestName(' app.cpu { a = 1 ,b=x}y=z');
    assert.ok('labels' in ok);
    assert.deepEqual(Object.fromEntries(ok.labels), { __name__: 'app.cpu', a: '1', b: 'x' });
    assert.deepEqual(parseIngestName('my app{}'), { error: "name: invalid service name: my app: character is not allowed: ' '" });
    assert.deepEqual(parseIngestName('{a=b}'), { error: 'name: service name is required' });
    assert.deepEqual(parseIngestName('app{a-b=c}'), { error: "name: invalid label name: a-b: character is not allowed: '-'" });
  });

  test('refused before sending, one line naming the label', () => {
    assert.deepEqual(ingestLabelProblems({ service_name: 'api', env: 'a,b', team: 'x}', pad: ' v', '__tenant': 't', 'app-id': '1', __delta__: 'true', 'ok.name': 'a=b{c' }), [
      'label __delta__="true": the /ingest API always stores __delta__="false"; use --protocol push',
      `label __tenant: the /ingest API drops labels starting with "__"; use --protocol push or rename it`,
      'label name "app-id" has "-": the /ingest API allows only A-Z a-z 0-9 _ . in label names; use --protocol push or rename it',
      'label env: value "a,b" has ",", which ends a value in the /ingest name parameter; use --protocol push or change the value',
      'label pad: value " v" starts or ends with white space, which the /ingest API trims; use --protocol push or change the value',
      'label team: value "x}" has "}", which ends a value in the /ingest name parameter; use --protocol push or change the value',
    ]);
    assert.deepEqual(ingestLabelProblems({ service_name: 'my api' }), [
      'label service_name: "my api" has " ", which the /ingest API refuses in the application name (only A-Z a-z 0-9 _ . - /); use --protocol push or rename it',
    ]);
  });
});

describe('__name__ over /ingest (pkg/og/convert/pprof metricName)', () => {
  const cases: Array<[string[], string]> = [
    [['samples', 'cpu'], 'process_cpu'],
    [['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space'], 'memory'],
    [['wall', 'cpu'], 'wall'],
    // The server's default display names: goroutine → "goroutines", contentions/delay → mutex (block too).
    [['goroutine'], 'goroutines'],
    [['contentions', 'delay'], 'mutex'],
    [['requests'], 'requests'],
  ];
  for (const [types, name] of cases) test(`${types.join(', ')} → ${name}`, () => assert.equal(ingestProfileName(types), name));

  test('raw when the server names it as pyro-push does; a sample_type_config when only that does; refused otherwise', () => {
    assert.deepEqual(pprofShape(['samples', 'cpu'], 'process_cpu'), { kind: 'raw' });
    assert.deepEqual(pprofShape(['goroutine'], 'goroutine'), { kind: 'multipart', sampleTypeConfig: { goroutine: { 'display-name': 'goroutine' } } });
    assert.deepEqual(pprofShape(['contentions', 'delay'], 'block'), {
      kind: 'multipart',
      sampleTypeConfig: { contentions: { 'display-name': 'block' }, delay: { 'display-name': 'block' } },
    });
    assert.equal(pprofShape(['wall'], 'process_cpu'), undefined);
    assert.deepEqual(ingestProblems({ __name__: 'process_cpu', service_name: 'a' }, { shape: { sampleTypes: ['wall'], periodType: '', periodUnit: '' } }), [
      'label __name__="process_cpu": over /ingest the server names this profile "wall" from its sample types (wall), whatever is sent; use --protocol push',
    ]);
  });

  test('protocolProblems: only when an endpoint speaks ingest, prefixed with the input', () => {
    const profiles = [{ input: { name: 'a.pb', shape: { sampleTypes: ['cpu'], periodType: '', periodUnit: '' } }, labels: { __name__: 'process_cpu', service_name: 'api', env: 'x,y' } }];
    assert.deepEqual(protocolProblems([{ protocol: 'push' }], profiles), []);
    assert.deepEqual(protocolProblems([{ protocol: 'push' }, { protocol: 'ingest' }], profiles), [
      'a.pb: label env: value "x,y" has ",", which ends a value in the /ingest name parameter; use --protocol push or change the value',
    ]);
  });
});

describe('from and until (Unix seconds)', () => {
  test('time_nanos and duration_nanos; now when 0 or in 1970 (the server then uses from: fixTime)', () => {
    assert.deepEqual(ingestTimes({ timeNanos: 1_760_000_000_500_000_000n, durationNanos: 10_000_000_000n }, 0), { from: 1_760_000_000n, until: 1_760_000_010n });
    assert.deepEqual(ingestTimes({ timeNanos: 0n, durationNanos: 15_000_000_000n }, 1_760_000_123_456), { from: 1_760_000_123n, until: 1_760_000_138n });
    assert.deepEqual(ingestTimes({ timeNanos: 1_700_000_000_000n /* µs written as ns */, durationNanos: 0n }, 1_760_000_000_000), { from: 1_760_000_000n, until: 1_760_000_000n });
  });

  test('duration_nanos is read into the facts', () => {
    const facts = decodeProfile(profileOf([['cpu', 'nanoseconds']], 1_760_000_000_000_000_000n, 10_000_000_000n));
    assert.deepEqual([facts.timeNanos, facts.durationNanos], [1_760_000_000_000_000_000n, 10_000_000_000n]);
  });
});

describe('answers of the legacy API (ingest_handler.go)', () => {
  const read = INGEST_API.readAnswer;
  test('200 with no body is stored; Grafana’s HTML is not', () => {
    assert.deepEqual(read(200, undefined, ''), { ok: true });
    assert.deepEqual(read(200, 'text/html; charset=utf-8', '<html>'), {
      ok: false,
      detail: 'not an /ingest answer (content type text/html; Pyroscope answers 200 with no body), nothing was stored: is --url the Pyroscope server, not Grafana?',
    });
  });
  test('the JSON code is kept only where it agrees with the status (422 says "unknown", which would be retried)', () => {
    assert.deepEqual(read(422, 'application/json', '{"code":"unknown","message":"pushing IngestInput-pprof failed x"}\n'), { ok: false, detail: 'pushing IngestInput-pprof failed x' });
    assert.deepEqual(read(400, 'application/json', '{"code":"invalid_argument","message":"name: service name is required"}\n'), { ok: false, code: 'invalid_argument', detail: 'name: service name is required' });
    assert.deepEqual(read(413, 'application/json', '{"code":"invalid_argument","message":"request body too large"}'), { ok: false, detail: 'request body too large' });
    assert.deepEqual(read(429, 'application/json', '{"code":"resource_exhausted","message":"slow down"}'), { ok: false, code: 'resource_exhausted', detail: 'slow down' });
    assert.deepEqual(read(502, 'text/plain', 'bad gateway'), { ok: false, detail: 'bad gateway' });
  });
});

describe('--protocol ingest end to end against pyro-push receive', () => {
  let r: Receiver;
  before(async () => (r = await startReceiver('127.0.0.1', 0)));
  after(() => r.close());

  test('a CPU profile: format=pprof, the bytes as they are, the labels the server derives', async () => {
    const start = r.received.length;
    const before = Math.floor(Date.now() / 1000);
    const run = await runCli([CPU, '--url', r.url, '--protocol', 'ingest', '--service-name', 'api', '-l', 'env=ci', '-l', 'k8s.pod=p-1']);
    const afterS = Math.floor(Date.now() / 1000);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(r.received.length, start + 1);
    const got = r.received[start];
    assert.ok(got);
    const { from, until, ...query } = got.query ?? {};
    assert.deepEqual(query, { name: 'api{env=ci,k8s.pod=p-1}', format: 'pprof', spyName: 'pyro-push' });
    // time_nanos 0: now, duration 0.
    assert.ok(Number(from) >= before && Number(from) <= afterS, `from ${from}`);
    assert.equal(until, from);
    assert.deepEqual([got.protocol, got.format, got.multipart, got.headers['content-type']], ['ingest', 'pprof', false, 'application/octet-stream']);
    assert.deepEqual(Buffer.from(got.rawProfile), Buffer.from(CPU_BYTES));
    assert.deepEqual(got.labels, { __name__: 'process_cpu', __delta__: 'false', pyroscope_spy: 'pyro-push', service_name: 'api', env: 'ci', 'k8s.pod': 'p-1' });
    assert.deepEqual(got.sampleTypes, ['samples/count', 'cpu/nanoseconds']);
  });

  test('from/until from time_nanos and duration_nanos; the raw body percent-encodes what needs it', async () => {
    const dir = tempDir();
    const t = BigInt(Date.now() - 30_000) * 1_000_000n;
    const file = writeTemp(dir, 'cpu.pb', profileOf([['cpu', 'nanoseconds']], t, 10_000_000_000n));
    const start = r.received.length;
    const run = await runCli([file, '--url', r.url, '--protocol', 'ingest', '--service-name', 'api', '-l', 'q=a&b+c;d%e']);
    assert.equal(run.code, 0, run.stderr);
    const got = r.received[start];
    assert.deepEqual(got?.query, { name: 'api{q=a&b+c;d%e}', from: String(t / 1_000_000_000n), until: String((t + 10_000_000_000n) / 1_000_000_000n), format: 'pprof', spyName: 'pyro-push' });
    assert.equal(got?.labels.q, 'a&b+c;d%e');
  });

  test('a goroutine profile keeps __name__="goroutine": multipart with a sample_type_config (the server alone says "goroutines")', async () => {
    const dir = tempDir();
    const file = writeTemp(dir, 'g.pb', profileOf([['goroutine', 'count']]));
    const start = r.received.length;
    const run = await runCli([file, '--url', r.url, '--protocol', 'ingest', '--service-name', 'api']);
    assert.equal(run.code, 0, run.stderr);
    const got = r.received[start];
    assert.ok(got);
    assert.deepEqual([got.multipart, got.query?.format, got.sampleTypeConfig, got.labels.__name__], [true, undefined, { goroutine: { 'display-name': 'goroutine' } }, 'goroutine']);
    assert.deepEqual(Buffer.from(got.rawProfile), readFileSync(file));
    assert.match(String(got.headers['content-type']), /^multipart\/form-data; boundary=pyro-push-[0-9a-f-]+$/);
  });

  test('a block profile (--profile-name block) is stored as block, not as the server’s default "mutex"', async () => {
    const start = r.received.length;
    const run = await runCli([fixture('contentions.pb.gz'), '--url', r.url, '--protocol', 'ingest', '--service-name', 'api', '--profile-name', 'block']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(r.received[start]?.labels.__name__, 'block');
  });

  test('a label value with "," is refused before sending: nothing reaches the server', async () => {
    const before = r.requests();
    const run = await runCli([CPU, '--url', r.url, '--protocol', 'ingest', '--service-name', 'api', '-l', 'env=a,b']);
    assert.notEqual(run.code, 0);
    assert.equal(r.requests(), before);
    assert.match(run.stdout + run.stderr, /label env: value "a,b" has ",", which ends a value in the \/ingest name parameter; use --protocol push or change the value/);
  });

  test(
    'a label value with "," is a usage error (exit 2, not an internal error)',
    async () => {
      const run = await runCli([CPU, '--url', r.url, '--protocol', 'ingest', '--service-name', 'api', '-l', 'env=a,b']);
      assert.equal(run.code, 2);
      assert.doesNotMatch(run.stderr, /internal error/);
    },
  );

  test('a mixed run: one endpoint over the Push API, one over /ingest (YAML protocol: ingest)', async () => {
    const push = await startReceiver('127.0.0.1', 0);
    try {
      const dir = tempDir();
      const yaml = `endpoints:\n  - url: ${push.url}\n    name: modern\n  - url: ${r.url}\n    name: legacy\n    protocol: ingest\nexternal_labels:\n  env: ci\n`;
      const start = r.received.length;
      const run = await runCli([CPU, '--config', writeTemp(dir, 'c.yaml', yaml), '--service-name', 'api', '--json']);
      assert.equal(run.code, 0, run.stderr);
      const doc = JSON.parse(run.stdout);
      assert.deepEqual(
        doc.profiles[0].endpoints.map((e: { endpoint: string; status: string }) => `${e.endpoint}:${e.status}`),
        ['modern:delivered', 'legacy:delivered'],
      );
      assert.equal(push.received.length, 1);
      assert.equal(r.received.length, start + 1);
      const [viaPush, viaIngest] = [push.received[0], r.received[start]];
      assert.deepEqual([viaPush?.protocol, viaIngest?.protocol], ['push', 'ingest']);
      assert.deepEqual(Buffer.from(viaIngest?.rawProfile ?? []), Buffer.from(viaPush?.rawProfile ?? [1]));
      // The same series, but for the label /ingest always adds from spyName.
      const { pyroscope_spy, ...rest } = viaIngest?.labels ?? {};
      assert.equal(pyroscope_spy, 'pyro-push');
      assert.deepEqual(rest, viaPush?.labels);
    } finally {
      await push.close();
    }
  });
});

describe('legacy reply codes through the one retry loop', () => {
  type Script = { status: number; body: string; headers?: Record<string, string> };
  async function scripted(replies: Script[]): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
    const seen: string[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume().on('end', () => {
        seen.push(req.url ?? '');
        const next = replies[Math.min(seen.length - 1, replies.length - 1)] as Script;
        res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers }).end(next.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      seen,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
  const json = (code: string, message: string) => `${JSON.stringify({ code, message })}\n`;
  const cases: Array<[string, Script[], number, string, number]> = [
    ['422 bad profile: not retried, rejected', [{ status: 422, body: json('unknown', 'pushing IngestInput-pprof failed invalid_argument: bad') }], 1, 'rejected', 1],
    ['413 too large: not retried, rejected', [{ status: 413, body: json('invalid_argument', 'request body too large: http: request body too large') }], 1, 'rejected', 1],
    ['400 bad name: not retried, rejected', [{ status: 400, body: json('invalid_argument', 'name: service name is required') }], 1, 'rejected', 1],
    ['500: retried until the attempts run out, not sent', [{ status: 500, body: json('unknown', 'boom') }], 3, 'not-sent', 1],
    ['429 with Retry-After, then 200: retried, delivered', [{ status: 429, body: json('resource_exhausted', 'slow down'), headers: { 'retry-after': '0' } }, { status: 200, body: '' }], 2, 'delivered', 0],
  ];
  for (const [name, replies, attempts, state, code] of cases)
    test(name, async () => {
      const s = await scripted(replies);
      try {
        const run = await runCli([CPU, '--url', s.url, '--protocol', 'ingest', '--service-name', 'api', '--max-attempts', '3', ...FAST, '--json']);
        const endpoint = JSON.parse(run.stdout).profiles[0].endpoints[0];
        assert.deepEqual([run.code, endpoint.status, endpoint.attempts, s.seen.length], [code, state, attempts, attempts]);
        assert.ok(s.seen.every((u) => u.startsWith('/ingest?name=api%7B%7D&from=')));
      } finally {
        await s.close();
      }
    });

  test('429 is not retried with retry_on_http_429 off', async () => {
    const s = await scripted([{ status: 429, body: json('resource_exhausted', 'slow down') }]);
    try {
      const dir = tempDir();
      const yaml = `endpoints:\n  - url: ${s.url}\n    protocol: ingest\n    retry_on_http_429: false\n    max_backoff_retries: 3\n    min_backoff_period: 1ms\n    max_backoff_period: 5ms\n`;
      const run = await runCli([CPU, '--config', writeTemp(dir, 'c.yaml', yaml), '--service-name', 'api', '--json']);
      const endpoint = JSON.parse(run.stdout).profiles[0].endpoints[0];
      assert.deepEqual([run.code, endpoint.status, endpoint.attempts, s.seen.length], [1, 'not-sent', 1, 1]);
    } finally {
      await s.close();
    }
  });
});

describe('the receiver’s /ingest', () => {
  let r: Receiver;
  before(async () => (r = await startReceiver('127.0.0.1', 0)));
  after(() => r.close());
  const ingest = (query: string, body: Uint8Array | string, headers: Record<string, string> = { 'content-type': 'application/octet-stream' }) => post(`${r.url}/ingest?${query}`, body, headers);

  test('raw pprof (format=pprof): 200, no body; labels from name and spyName', async () => {
    const start = r.received.length;
    const res = await ingest('name=shop.api%7Benv%3Dprod%2Cservice_name%3Dshop%7D&format=pprof', CPU_BYTES);
    assert.deepEqual(res, { status: 200, type: undefined, body: '' });
    const got = r.received[start];
    // A service_name tag wins over the application name; spyName defaults to "unknown".
    assert.deepEqual(got?.labels, { __name__: 'process_cpu', __delta__: 'false', pyroscope_spy: 'unknown', env: 'prod', service_name: 'shop' });
    assert.deepEqual(Buffer.from(got?.rawProfile ?? []), Buffer.from(CPU_BYTES));
  });

  test('multipart (curl -F profile=@… -F sample_type_config=@…): the profile part, its display names', async () => {
    const form = multipartBody(
      [
        { name: 'profile', filename: 'cpu.pb.gz', contentType: 'application/octet-stream', data: CPU_BYTES },
        { name: 'sample_type_config', filename: 'c.json', contentType: 'application/json', data: Buffer.from('{"cpu":{"display-name":"cpu_samples","units":"samples"}}') },
      ],
      'test',
    );
    const start = r.received.length;
    const res = await ingest('name=api&spyName=gospy', form.body, { 'content-type': form.contentType });
    assert.deepEqual(res, { status: 200, type: undefined, body: '' });
    const got = r.received[start];
    assert.deepEqual([got?.multipart, got?.labels.__name__, got?.labels.pyroscope_spy, got?.labels.service_name], [true, 'process_cpu', 'gospy', 'api']);
    assert.deepEqual(got?.sampleTypeConfig, { cpu: { 'display-name': 'cpu_samples', units: 'samples' } });
    assert.deepEqual(Buffer.from(got?.rawProfile ?? []), Buffer.from(CPU_BYTES));
  });

  const errors: Array<[string, () => ReturnType<typeof ingest>, number, string]> = [
    ['no name', () => ingest('format=pprof', CPU_BYTES), 400, '{"code":"invalid_argument","message":"name: service name is required"}\n'],
    ['a bad tag key', () => ingest('name=a%7Bb-c%3D1%7D&format=pprof', CPU_BYTES), 400, `{"code":"invalid_argument","message":"name: invalid label name: b-c: character is not allowed: '-'"}\n`],
    ['not a profile', () => ingest('name=a&format=pprof', 'not a profile at all'), 422, /^\{"code":"unknown","message":"pushing IngestInput-pprof failed unknown: /.source],
    [
      'a prev_profile part (old pyroscope-go)',
      () => {
        const f = multipartBody([{ name: 'profile', filename: 'p', data: CPU_BYTES }, { name: 'prev_profile', filename: 'p', data: CPU_BYTES }], 'x');
        return ingest('name=a', f.body, { 'content-type': f.contentType });
      },
      422,
      '{"code":"unknown","message":"parsing IngestInput-pprof failed failed to parse pprof /ingest multipart form unsupported client version. Please update github.com/grafana/pyroscope-go to the latest version"}\n',
    ],
    ['folded text (the default format)', () => ingest('name=a', 'foo;bar 1\n', { 'content-type': 'text/plain' }), 422, '{"code":"unknown","message":"format \\"folded\\": pyro-push receive takes only pprof and jfr"}\n'],
    ['format=jfr that is not JFR', () => ingest('name=a&format=jfr', CPU_BYTES), 422, '{"code":"unknown","message":"parsing IngestInput-pprof failed not a JFR recording (no \\"FLR\\" chunk)"}\n'],
  ];
  for (const [name, send, status, body] of errors)
    test(`${name} → ${status}`, async () => {
      const before = r.received.length;
      const res = await send();
      assert.equal(res.status, status);
      assert.equal(res.type, 'application/json');
      if (body.startsWith('^')) assert.match(res.body, new RegExp(body));
      else assert.equal(res.body, body);
      assert.equal(r.received.length, before);
    });

  test('a multipart form without a profile part: 200, stores nothing (as the server)', async () => {
    const before = r.received.length;
    const f = multipartBody([{ name: 'other', filename: 'x', data: Buffer.from('x') }], 'y');
    assert.equal((await ingest('name=a', f.body, { 'content-type': f.contentType })).status, 200);
    assert.equal(r.received.length, before);
  });

  test('/pyroscope/ingest is the same handler; other methods 405', async () => {
    assert.equal((await post(`${r.url}/pyroscope/ingest?name=a&format=pprof`, CPU_BYTES, {})).status, 200);
    assert.equal((await request(`${r.url}/ingest?name=a`, { method: 'GET' }).then((res) => res.body.text().then(() => res.statusCode))), 405);
  });
});

describe('JFR, as pyroscope-java uploads it', { skip: !existsSync(JFR) && 'no ../shared/formats' }, () => {
  const jfr = existsSync(JFR) ? new Uint8Array(readFileSync(JFR)) : new Uint8Array();
  const snapshot = existsSync(JFR_LABELS) ? new Uint8Array(readFileSync(JFR_LABELS)) : new Uint8Array();

  test('the recording’s span from its chunk header', () => {
    // One chunk: start 2023-08-15T10:35:22.936Z, 7.067564 s.
    assert.deepEqual(jfrTimeRange(jfr), { startMs: 1_692_095_722_936, endMs: 1_692_095_730_003 });
    assert.deepEqual(jfrTimeRange(gunzipSync(jfr)), { startMs: 1_692_095_722_936, endMs: 1_692_095_730_003 });
    assert.equal(jfrTimeRange(CPU_BYTES), undefined);
  });

  test('query, content type and parts', async () => {
    const prepared = prepareJfr({ labels: { __name__: 'process_cpu', service_name: 'shop', env: 'prod' }, bytes: jfr, labelsSnapshot: snapshot, nowMs: 0, sampleRate: 100, id: 'abc' });
    assert.equal(prepared.path, '/ingest?name=shop%7Benv%3Dprod%7D&from=1692095722&until=1692095730&spyName=pyro-push&sampleRate=100&format=jfr');
    assert.deepEqual(prepared.headers, { 'content-type': 'multipart/form-data; boundary=pyro-push-abc' });
    const text = Buffer.from(prepared.body).toString('latin1');
    // OkHttp's parts: the jfr part has no content type; the labels part is application/x-protobuf.
    assert.ok(text.startsWith('--pyro-push-abc\r\nContent-Disposition: form-data; name="jfr"; filename="jfr"\r\n\r\n'));
    assert.ok(text.includes('\r\n--pyro-push-abc\r\nContent-Disposition: form-data; name="labels"; filename="labels"\r\nContent-Type: application/x-protobuf\r\n\r\n'));
    assert.ok(text.endsWith('\r\n--pyro-push-abc--\r\n'));
    const form = await new Response(prepared.body, { headers: prepared.headers }).formData();
    const [jfrPart, labelsPart] = [form.get('jfr'), form.get('labels')] as [File, File];
    assert.deepEqual([jfrPart.name, labelsPart.name, labelsPart.type], ['jfr', 'labels', 'application/x-protobuf']);
    assert.deepEqual(Buffer.from(await jfrPart.arrayBuffer()), Buffer.from(jfr));
    assert.deepEqual(Buffer.from(await labelsPart.arrayBuffer()), Buffer.from(snapshot));
  });

  test('--override-timestamp: now minus the recording’s length … now; no labels part without a snapshot', () => {
    const prepared = prepareJfr({ labels: { service_name: 'shop' }, bytes: jfr, nowMs: 1_760_000_100_000, overrideTimestamp: true, id: 'x' });
    assert.equal(prepared.path, '/ingest?name=shop%7B%7D&from=1760000092&until=1760000100&spyName=pyro-push&format=jfr');
    assert.ok(!Buffer.from(prepared.body).includes('name="labels"'));
  });

  test('posted to the receiver: stored as received, with its labels part', async () => {
    const r = await startReceiver('127.0.0.1', 0);
    try {
      const prepared = prepareJfr({ labels: { service_name: 'shop', env: 'prod' }, bytes: jfr, labelsSnapshot: snapshot, nowMs: 0, id: 'j' });
      const res = await post(r.url + prepared.path, prepared.body, prepared.headers);
      assert.deepEqual(res, { status: 200, type: undefined, body: '' });
      const got = r.received[0];
      assert.ok(got);
      assert.deepEqual([got.protocol, got.format, got.multipart], ['ingest', 'jfr', true]);
      assert.deepEqual(got.query, { name: 'shop{env=prod}', from: '1692095722', until: '1692095730', spyName: 'pyro-push', format: 'jfr' });
      assert.deepEqual(Buffer.from(got.rawProfile), Buffer.from(jfr));
      assert.deepEqual(Buffer.from(got.jfrLabels ?? []), Buffer.from(snapshot));
      // __name__ and jfr_event come from each event of the recording, which the receiver does not parse.
      assert.deepEqual(got.labels, { env: 'prod', pyroscope_spy: 'pyro-push', __delta__: 'false', service_name: 'shop' });
    } finally {
      await r.close();
    }
  });
});
