import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import kleur from 'kleur';
import { Function as PFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { type InspectDocument, type InspectOptions, planSettingsFrom, runInspect } from '../src/cli/inspect-command.js';
import { printable } from '../src/cli/inspect-render.js';
import { formatNanos, inspectBytes } from '../src/profile/inspect.js';
import { int64, topFunctions } from '../src/profile/top-functions.js';
import { FIXTURES, ROOT, SHARED_PROFILES, runCli, tempDir, writeTemp } from './helpers.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** runInspect with captured streams, as test/helpers.ts runCli builds an Io for main. */
async function inspect(files: string[], opts: InspectOptions = {}, io: { env?: Record<string, string>; tty?: boolean; stdin?: Uint8Array; stdinTTY?: boolean } = {}): Promise<Run> {
  const out = { stdout: '', stderr: '' };
  const code = await runInspect(files, opts, {
    stdout: { write: (t: string) => (out.stdout += t), isTTY: io.tty ?? false },
    stderr: { write: (t: string) => (out.stderr += t), isTTY: io.tty ?? false },
    stdin: { isTTY: io.stdinTTY ?? false, read: async () => io.stdin ?? new Uint8Array() },
    env: { ...io.env },
    now: () => NOW,
    signal: new AbortController().signal,
  });
  return { code, ...out };
}

const fixture = (name: string) => join(FIXTURES, name);
const json = (run: Run) => JSON.parse(run.stdout) as InspectDocument;

// ---- A profile built by hand, to check the numbers against sums done by hand ----

interface Built {
  functions: Array<[number, string]>;
  /** Location id → function ids, innermost (inlined) first; [] for an address-only location. */
  locations: Array<[number, number[]]>;
  samples: Array<{ stack: number[]; values: number[]; labels?: Array<[string, string]> }>;
  types?: Array<[string, string]>;
  timeNanos?: bigint;
  durationNanos?: number;
}

function build(spec: Built): Uint8Array {
  const st = new StringTable();
  const types = spec.types ?? [['cpu', 'nanoseconds'], ['samples', 'count']];
  const profile = new Profile({
    sampleType: types.map(([type, unit]) => new ValueType({ type: st.dedup(type), unit: st.dedup(unit) })),
    periodType: new ValueType({ type: st.dedup('cpu'), unit: st.dedup('nanoseconds') }),
    period: 10_000_000,
    function: spec.functions.map(([id, name]) => new PFunction({ id, name: st.dedup(name), filename: st.dedup(`${name}.go`) })),
    location: spec.locations.map(([id, fns]) => new Location({ id, address: 0x4a0 + id, line: fns.map((functionId) => new Line({ functionId, line: 1 })) })),
    sample: spec.samples.map((s) => new Sample({ locationId: s.stack, value: s.values, label: (s.labels ?? []).map(([k, v]) => ({ key: st.dedup(k), str: st.dedup(v) })) })),
    timeNanos: spec.timeNanos ?? 0,
    durationNanos: spec.durationNanos ?? 0,
    stringTable: st,
  });
  return profile.encode();
}

/**
 * main → handle → parse, with helper inlined into parse (location 3: [helper, parse]); rec recursing
 * three deep; an address-only location (5); and a negative (delta) sample.
 */
const TINY: Built = {
  functions: [[1, 'main'], [2, 'handle'], [3, 'parse'], [4, 'rec'], [6, 'helper']],
  locations: [[1, [1]], [2, [2]], [3, [6, 3]], [4, [4]], [5, []]],
  samples: [
    { stack: [3, 2, 1], values: [100, 1] },
    { stack: [4, 4, 4, 2, 1], values: [50, 1] },
    { stack: [2, 1], values: [30, 1] },
    { stack: [5, 1], values: [20, 1] },
    { stack: [1], values: [-10, 1] },
  ],
};

test('top functions: flat is the leaf location’s first line, cum counts a function once per sample (sums by hand)', () => {
  const top = topFunctions(Profile.decode(build(TINY)));
  assert.equal(top.sampleType, 'cpu');
  assert.equal(top.unit, 'nanoseconds');
  assert.equal(top.total, 100 + 50 + 30 + 20 - 10);
  assert.equal(top.functionCount, 6);
  const rows = (list: typeof top.byFlat) => list.map((f) => [f.name, f.flat, f.cum]);
  // helper is charged flat (inlined, innermost), parse only cum; rec's recursion counts once (50, not 150).
  assert.deepEqual(rows(top.byFlat), [
    ['helper', 100, 100],
    ['rec', 50, 50],
    ['handle', 30, 180],
    ['0x4a5', 20, 20],
    ['parse', 0, 100],
    ['main', -10, 190],
  ]);
  assert.deepEqual(rows(top.byCum), [
    ['main', -10, 190],
    ['handle', 30, 180],
    ['helper', 100, 100],
    ['parse', 0, 100],
    ['rec', 50, 50],
    ['0x4a5', 20, 20],
  ]);
  assert.equal(top.byFlat[0]?.file, 'helper.go');
});

test('top functions: another sample type, a limit, and nothing to rank', () => {
  const top = topFunctions(Profile.decode(build(TINY)), { index: 1, limit: 2 });
  assert.equal(top.sampleType, 'samples');
  assert.equal(top.total, 5);
  assert.deepEqual(top.byCum.map((f) => [f.name, f.flat, f.cum]), [['main', 1, 5], ['handle', 1, 3]]);
  assert.equal(top.byFlat.length, 2);
  const empty = topFunctions(Profile.decode(build({ functions: [], locations: [], samples: [] })));
  assert.deepEqual([empty.total, empty.byFlat, empty.byCum], [0, [], []]);
});

test('top functions: a broken profile (unknown location, function, string) is named, not thrown on', () => {
  const p = Profile.decode(build({ functions: [[1, 'main']], locations: [[1, [1, 9]]], samples: [{ stack: [1, 7], values: [5, 1] }] }));
  const f = p.function[0];
  if (f) f.name = 999;
  const top = topFunctions(p);
  assert.deepEqual(top.byCum.map((x) => [x.name, x.cum]).sort(), [['<function 1>', 5], ['<function 9>', 5], ['<location 7>', 5]]);
});

test('int64: pprof-format reads negative varints as unsigned; they come back negative', () => {
  assert.equal(int64((1n << 64n) - 10n), -10);
  assert.equal(int64(42n), 42);
  assert.equal(int64(7), 7);
  assert.equal(int64(undefined), 0);
});

test('formatNanos and printable', () => {
  assert.deepEqual([450, 3_200, 12_500_000, 1_230_000_000, 188_902_000_000, 10_799_990_000_000].map(formatNanos), ['450ns', '3.2µs', '12.5ms', '1.23s', '3m8.9s', '3h0m0s']);
  assert.equal(printable('a\x00b\nc'), 'a\\x00b\\x0ac');
  assert.equal(printable('x'.repeat(200)).length, 120);
});

// ---- The command ----

test('exact output for fixtures/cpu.pb.gz', async () => {
  const run = await inspect([fixture('cpu.pb.gz')], { serviceName: 'api' });
  assert.equal(run.code, 0);
  assert.equal(run.stderr, '');
  assert.equal(
    run.stdout,
    `${fixture('cpu.pb.gz')}  ✔ would be accepted
  format         gzip, 171 B (192 B uncompressed, 192 B as the server counts it)
  sample types   samples/count, cpu/nanoseconds
  period         10000000 cpu/nanoseconds (10ms)
  __name__       process_cpu (from the sample types)
  time           not set (the server uses the time it receives it)
  duration       not set
  samples        5 (5 kept by the server)
  sample labels  none
  series labels  {__name__="process_cpu", __delta__="false", service_name="api"}
  top functions  by samples/count, total 15, 3 functions
                 flat   flat%  cum    cum%  function
                   15  100.0%   15  100.0%  compute
                    0    0.0%   10   66.7%  work
                    0    0.0%    3   20.0%  main

`,
  );
});

test('--json: one document with every fact', async () => {
  const run = await inspect([fixture('labelled.pb.gz'), fixture('heap.pb')], { json: true, label: ['env=ci'] });
  assert.equal(run.code, 0);
  assert.equal(run.stderr, '');
  const doc = json(run);
  assert.equal(doc.ok, true);
  assert.equal(doc.exitCode, 0);
  const [labelled, heap] = doc.profiles;
  assert.ok(labelled && heap);
  assert.equal(labelled.profile, fixture('labelled.pb.gz'));
  assert.equal(labelled.accepted, true);
  assert.deepEqual(labelled.refused, []);
  assert.equal(labelled.format, 'gzip');
  assert.deepEqual(labelled.bytes, { given: 174, uncompressed: 191, encoded: 191, rateLimited: 191 + '__delta__false__name__process_cpuenvci'.length + 'service_nameunknown_service'.length });
  assert.deepEqual(labelled.sampleTypes, [{ type: 'cpu', unit: 'nanoseconds' }]);
  assert.deepEqual(labelled.period, { type: 'cpu', unit: 'nanoseconds', value: 10_000_000 });
  assert.deepEqual(labelled.profileName, { derived: 'process_cpu', sent: 'process_cpu', reason: null });
  assert.deepEqual(labelled.time, { nanos: '0', iso: null, window: 'not-set', durationNanos: '0', duration: null });
  assert.deepEqual(labelled.samples, { count: 2, stored: 2 });
  assert.deepEqual(labelled.sampleLabels, [
    { key: 'endpoint', samples: 2, values: 1, use: 'series label' },
    { key: 'span_id', samples: 2, values: 1, use: 'stays on the samples' },
  ]);
  assert.deepEqual(labelled.labels, { __delta__: 'false', __name__: 'process_cpu', env: 'ci' });
  assert.deepEqual(labelled.warnings, ['no service_name label: the server will store these profiles as "unknown_service" (pass --service-name)']);
  assert.equal(labelled.server, null);
  assert.deepEqual(labelled.topFunctions?.byFlat.map((f) => [f.name, f.flat, f.cum]), [['compute', 3, 3], ['work', 0, 2]]);
  assert.equal(heap.format, 'raw');
  assert.equal(heap.profileName.derived, 'memory');
  assert.deepEqual(heap.sampleTypes.map((t) => `${t.type}/${t.unit}`), ['alloc_objects/count', 'alloc_space/bytes', 'inuse_objects/count', 'inuse_space/bytes']);
  assert.equal(heap.topFunctions?.sampleType, 'alloc_objects');
});

test('--json on a refused profile: the rule, the server’s answer, exit 2', async () => {
  const run = await inspect(['-'], { json: true, serviceName: 'api' }, { stdin: build({ ...TINY, functions: [[0, 'main']], locations: [[1, [0]]], samples: [{ stack: [1], values: [1, 1] }] }) });
  assert.equal(run.code, 2);
  const doc = json(run);
  assert.equal(doc.ok, false);
  const [p] = doc.profiles;
  assert.equal(p?.profile, '<stdin>');
  assert.equal(p?.accepted, false);
  assert.match(p?.refused[0] ?? '', /^<stdin>: function id 0 \(the server refuses it with 400: "function id is 0"\)/);
  assert.deepEqual(p?.server, { status: 400, code: 'invalid_argument', message: 'function id is 0' });
  // What it still tells of a refused profile.
  assert.equal(p?.samples.count, 1);
  assert.equal(p?.profileName.derived, 'process_cpu');
  assert.deepEqual(p?.topFunctions?.byFlat.map((f) => f.name), ['main']);
  assert.equal(run.stderr, `error: ${p?.refused[0]}\n`);
});

test('exit codes: accepted 0, refused 2 with the line a push prints; the other files are still inspected', async () => {
  assert.equal((await inspect([fixture('cpu.pb.gz'), fixture('heap.pb')])).code, 0);
  const custom = await inspect([fixture('custom.pb.gz')]);
  assert.equal(custom.code, 2);
  assert.match(custom.stdout, /✖ would be refused/);
  assert.match(custom.stdout, /__name__ {7}cannot be derived: no rule knows the sample types \(requests\)/);
  assert.equal((await inspect([fixture('custom.pb.gz')], { profileName: 'requests' })).code, 0);
  // contentions/delay: the file name decides block or mutex, else --profile-name.
  const contentions = json(await inspect([fixture('contentions.pb.gz')], { json: true }));
  assert.match(contentions.profiles[0]?.profileName.reason ?? '', /Go block and mutex profiles/);

  const bad = ['bad/empty.pb', 'bad/not-a-profile.txt', 'bad/truncated.pb.gz', 'custom.pb.gz', 'no-such-file.pb'].map(fixture);
  for (const file of bad) {
    const push = await runCli([file, '--url', 'http://127.0.0.1:1', '--dry-run']);
    const run = await inspect([fixture('cpu.pb.gz'), file]);
    assert.equal(run.code, 2, file);
    assert.equal(run.stderr, push.stderr, `${file}: the same line as a push`);
    assert.match(run.stdout, /cpu\.pb\.gz {2}✔ would be accepted/);
  }
});

test('never a crash: text, random bytes, an empty stdin, a stdin that is a terminal, stdin twice', async () => {
  const inputs: Array<[Uint8Array, string]> = [
    [new TextEncoder().encode('hi\n'), 'not a pprof profile (only 3 bytes; is it text?)'],
    [new TextEncoder().encode('this is a text file, not a profile\n'), 'not a pprof profile'],
    [new Uint8Array(), 'empty input; expected a pprof profile'],
    [gzipSync(Buffer.from('hello, world')), 'not a pprof profile'],
  ];
  let seed = 7;
  for (let i = 0; i < 30; i++) {
    const bytes = new Uint8Array(5 + i * 7).map(() => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 16) & 0xff);
    inputs.push([bytes, '']);
  }
  for (const [bytes, expected] of inputs) {
    for (const opts of [{}, { json: true }]) {
      const run = await inspect(['-'], opts, { stdin: bytes });
      assert.ok(run.code === 0 || run.code === 2, `exit ${run.code}: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /internal error/);
      if (run.code === 2) assert.match(run.stderr, /^error: <stdin>: .+\n$/);
      if (expected) assert.ok(run.stderr.includes(expected), run.stderr);
      if ('json' in opts) assert.equal(json(run).profiles.length, 1);
    }
  }
  const tty = await inspect(['-'], {}, { stdinTTY: true });
  assert.deepEqual([tty.code, tty.stderr], [2, 'error: - reads a profile from stdin, but stdin is a terminal: pipe a profile in\n']);
  const twice = await inspect(['-', '-']);
  assert.deepEqual([twice.code, twice.stderr], [2, 'error: - (stdin) given more than once; it can be read only once\n']);
});

test('flag mistakes are a usage error (exit 2), in --json too', async () => {
  const run = await inspect([fixture('cpu.pb.gz')], { label: ['nonsense'] });
  assert.deepEqual([run.code, run.stdout, run.stderr], [2, '', 'error: --label "nonsense": expected name=value (e.g. --label env=ci)\n']);
  const twice = await inspect([fixture('cpu.pb.gz')], { json: true, label: ['service_name=a'], serviceName: 'b' });
  assert.equal(twice.code, 2);
  assert.deepEqual(json(twice).error, { code: 'LABEL', messages: ['label service_name given twice (by --label, --service-name or --profile-name); keep one'] });
  assert.equal((await inspect([fixture('cpu.pb.gz')], { serviceName: '' })).code, 2);
});

test('series labels as a push makes them: flags over the profile’s own, an empty value deletes, --strict-label-names', async () => {
  const { settings, warnings } = planSettingsFrom({ label: ['env=ci', '__delta__='], serviceName: 'api', profileName: 'wall' });
  assert.deepEqual(warnings, ['label __delta__ is empty and removes nothing (no config label __delta__); it is not sent']);
  // One profile: --profile-name replaces the type its sample types show, with a warning (plan.ts).
  const report = inspectBytes('x.pb', readFileSync(fixture('cpu.pb.gz')), settings, NOW);
  assert.deepEqual(report.labels, { __name__: 'wall', env: 'ci', service_name: 'api' });
  assert.deepEqual(report.profileName, { derived: 'process_cpu', sent: 'wall', reason: null });
  assert.match(report.warnings[0] ?? '', /its sample types say process_cpu, sent as wall because of --profile-name/);
  // Several: it applies only where the type cannot be told, unless --force-profile-name — as in a push.
  const two = json(await inspect([fixture('cpu.pb.gz'), fixture('custom.pb.gz')], { json: true, profileName: 'requests' }));
  assert.deepEqual(two.profiles.map((p) => p.labels?.__name__), ['process_cpu', 'requests']);
  assert.equal(two.exitCode, 0);
  const forced = json(await inspect([fixture('cpu.pb.gz'), fixture('custom.pb.gz')], { json: true, profileName: 'requests', forceProfileName: true }));
  assert.deepEqual(forced.profiles.map((p) => p.labels?.__name__), ['requests', 'requests']);
  assert.equal((await inspect([fixture('cpu.pb.gz')], { forceProfileName: true })).code, 2);
  const strict = await inspect([fixture('labelled.pb.gz')], { label: ['my-team=a'], strictLabelNames: true });
  assert.equal(strict.code, 2);
  assert.match(strict.stderr, /label name "my-team" is refused by servers before v2/);
});

test('time: inside or outside the ingestion window, --strict, --override-timestamp', async () => {
  const at = (msAgo: number) => build({ ...TINY, timeNanos: BigInt(NOW - msAgo) * 1_000_000n, durationNanos: 10e9 });
  const inside = json(await inspect(['-'], { json: true, serviceName: 'a' }, { stdin: at(10 * 60_000) })).profiles[0];
  assert.deepEqual(inside?.time, { nanos: String(BigInt(NOW - 600_000) * 1_000_000n), iso: '2025-06-01T11:50:00.000Z', window: 'inside', durationNanos: '10000000000', duration: '10s' });
  assert.deepEqual(inside?.warnings, []);

  const old = await inspect(['-'], { serviceName: 'a' }, { stdin: at(2 * 3_600_000) });
  assert.equal(old.code, 0, 'a warning, not a refusal');
  assert.match(old.stdout, /time {11}2025-06-01T10:00:00.000Z \(outside the ingestion window/);
  assert.match(old.stdout, /warnings {7}time_nanos 2025-06-01T10:00:00.000Z is outside the server's ingestion window/);
  const strict = await inspect(['-'], { serviceName: 'a', strict: true }, { stdin: at(2 * 3_600_000) });
  assert.equal(strict.code, 2);
  assert.match(strict.stderr, /^error: <stdin>: time_nanos .* \(--strict\)\n$/);
  const overridden = json(await inspect(['-'], { json: true, serviceName: 'a', overrideTimestamp: true }, { stdin: at(2 * 3_600_000) }));
  assert.equal(overridden.profiles[0]?.time.window, 'overridden');
  assert.deepEqual(overridden.profiles[0]?.warnings, []);
});

test('sample labels in the block: what becomes of each key', async () => {
  const run = await inspect([fixture('labelled.pb.gz')], { serviceName: 'api' });
  assert.match(run.stdout, /\n {2}sample labels {2}endpoint: 2 samples, 1 value → series label\n {17}span_id: 2 samples, 1 value → stays on the samples\n/);
  assert.match(run.stdout, /\n {2}series labels {2}\{__name__="process_cpu", __delta__="false", service_name="api"\} \+ endpoint from the samples\n/);
});

test('samples the server keeps and sample-label keys with their counts', async () => {
  const bytes = build({
    ...TINY,
    samples: [
      { stack: [1], values: [5, 1], labels: [['thread', 'a'], ['trace_id', 't1']] },
      { stack: [1], values: [5, 1], labels: [['thread', 'b']] },
      { stack: [2, 1], values: [0, 0], labels: [['thread', 'a']] },
    ],
  });
  const doc = json(await inspect(['-'], { json: true, label: ['thread=x'] }, { stdin: bytes }));
  const p = doc.profiles[0];
  assert.deepEqual(p?.samples, { count: 3, stored: 2 });
  assert.deepEqual(p?.sampleLabels, [
    { key: 'thread', samples: 3, values: 2, use: 'replaced by a series label' },
    { key: 'trace_id', samples: 1, values: 1, use: 'stays on the samples' },
  ]);
  const none = json(await inspect(['-'], { json: true, serviceName: 'a' }, { stdin: build({ ...TINY, samples: [] }) }));
  assert.deepEqual(none.profiles[0]?.samples, { count: 0, stored: 0 });
  assert.match(none.profiles[0]?.warnings[0] ?? '', /no samples: the server answers 200 and stores nothing/);
});

test('colour on a TTY only; NO_COLOR and --no-color honoured', async () => {
  const was = kleur.enabled;
  kleur.enabled = true; // kleur looks at the real process's stdout; the Io decides here
  try {
    const files = [fixture('cpu.pb.gz'), fixture('custom.pb.gz')];
    const tty = await inspect(files, {}, { tty: true });
    assert.match(tty.stdout, /\x1b\[32m✔ would be accepted/);
    assert.match(tty.stdout, /\x1b\[31m✖ would be refused/);
    assert.match(tty.stderr, /\x1b\[31merror: /);
    for (const [opts, env] of [[{}, { NO_COLOR: '1' }], [{ color: false }, {}]] as const) {
      const run = await inspect(files, opts, { tty: true, env });
      assert.doesNotMatch(run.stdout + run.stderr, /\x1b\[/);
      assert.equal(run.stdout, (await inspect(files)).stdout, 'the same text, uncoloured');
    }
    const pipe = await inspect(files);
    assert.doesNotMatch(pipe.stdout + pipe.stderr, /\x1b\[/);
  } finally {
    kleur.enabled = was;
  }
});

test('a directory is its files, as a push reads it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pyro-inspect-'));
  writeFileSync(join(dir, 'a.pb.gz'), readFileSync(fixture('cpu.pb.gz')));
  writeFileSync(join(dir, 'b.pb'), readFileSync(fixture('heap.pb')));
  const doc = json(await inspect([dir], { json: true }));
  assert.deepEqual(doc.profiles.map((p) => p.profile), [join(dir, 'a.pb.gz'), join(dir, 'b.pb')]);
  assert.equal(doc.exitCode, 0);
});

test('the real profiles in ../shared/profiles', { skip: !existsSync(SHARED_PROFILES) && 'no ../shared/profiles' }, async () => {
  const files = readdirSync(SHARED_PROFILES).filter((f) => !f.endsWith('.md'));
  for (const file of files) {
    const path = join(SHARED_PROFILES, file);
    const run = await inspect([path], { json: true, serviceName: 'real', overrideTimestamp: true });
    const p = json(run).profiles[0];
    assert.ok(p, file);
    if (file === 'bad-invalid-utf8.pb.gz') {
      assert.equal(run.code, 2);
      assert.equal(p.server?.status, 400);
      assert.match(p.server?.message ?? '', /^invalid utf8 string hex: /);
      continue;
    }
    assert.equal(run.code, 0, `${file}: ${p.refused.join('; ')}`);
    assert.deepEqual(p.warnings, [], file);
    assert.equal(p.format, file.includes('raw') || file.endsWith('.pb') ? 'raw' : 'gzip', file);
    assert.ok(p.labels?.__name__, file);
    const top = p.topFunctions;
    assert.ok(top && top.byFlat.length > 0 && top.byFlat.length <= 10, file);
    for (const f of [...top.byFlat, ...top.byCum]) assert.ok(f.cum >= f.flat && f.cum <= top.total * (1 + 1e-12), `${file}: ${f.name}`);
    const flatSum = top.byFlat.reduce((a, f) => a + f.flat, 0);
    assert.ok(flatSum <= top.total * (1 + 1e-12), file);
    // The human block prints without a problem too.
    const human = await inspect([path], { serviceName: 'real', overrideTimestamp: true });
    assert.match(human.stdout, /✔ would be accepted/);
    assert.doesNotMatch(human.stdout, /[\x00-\x08\x0b-\x1f]/, `${file}: control characters printed`);
  }
  const names = json(await inspect(['go-block.pprof', 'go-mutex.pprof', 'go-heap.pb.gz', 'nodejs-wall.pb.gz'].map((f) => join(SHARED_PROFILES, f)), { json: true }));
  assert.deepEqual(names.profiles.map((p) => p.profileName.derived), ['block', 'mutex', 'memory', 'wall']);
  const go = json(await inspect([join(SHARED_PROFILES, 'go-cpu-small.pb.gz')], { json: true })).profiles[0];
  assert.equal(go?.time.window, 'outside');
  assert.equal(go?.time.duration, '1.1s');
});

test('fast: no undici, no protobuf runtime index, no generated messages, no render.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pyro-inspect-load-'));
  const script = join(dir, 'run.mts');
  writeFileSync(
    script,
    `import { runInspect } from ${JSON.stringify(join(ROOT, 'src/cli/inspect-command.ts'))};
const io = { stdout: { write: () => true }, stderr: { write: () => true }, stdin: { isTTY: false, read: async () => new Uint8Array() }, env: {}, now: Date.now, signal: new AbortController().signal };
process.exitCode = await runInspect([${JSON.stringify(fixture('cpu.pb.gz'))}], { json: true }, io);\n`,
  );
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--import', join(ROOT, 'test/load-spy.mjs'), script], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const loaded = [...run.stderr.matchAll(/^LOADED file:\/\/(\S+)$/gm)].map((m) => (m[1] ?? '').replace(ROOT, ''));
  assert.ok(loaded.includes('node_modules/pprof-format/dist/esm/index.js'), 'the spy sees what is loaded');
  for (const f of loaded) {
    assert.ok(!f.includes('node_modules/undici/'), `${f} was loaded`);
    assert.ok(!f.includes('node_modules/ora/') && !f.includes('node_modules/yaml/'), `${f} was loaded`);
    assert.ok(!/@bufbuild\/protobuf\/dist\/(esm|cjs)\/(index\.js|codegenv|registry)/.test(f), `${f} was loaded`);
    assert.ok(!/^src\/(protocol|transport|delivery|gen)\/|^src\/cli\/render\.ts$/.test(f), `${f} was loaded`);
  }
});

test('collapsed stacks are inspected as the pprof a push sends; --sample-rate as for a push', async () => {
  const file = writeTemp(tempDir(), 'stacks.txt', 'main;work;compute 3\nmain;idle 1\n');
  const plain = await inspect([file], {});
  assert.equal(plain.code, 2, 'without a rate the type cannot be told');
  const run = await inspect([file], { sampleRate: '100' });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^ {2}format {9}collapsed, 32 B \(\d+ B as pprof, \d+ B as the server counts it\)$/m);
  assert.match(run.stdout, /^ {2}__name__ {7}process_cpu \(from the sample types\)$/m);
});
