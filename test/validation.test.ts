import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { Function as PFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { request } from 'undici';
import { ProfileError, UNPROMOTED_SAMPLE_LABELS, decodeProfile, gunzipWhole } from '../src/profile/pprof.js';
import { SharedFacts } from '../src/profile/shared-facts.js';
import { PUSH_PATH, encodePushRequest } from '../src/protocol/push-api.js';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { humanizeBytes, humanizeIBytes } from '../src/receiver/server-rules.js';
import { SHARED_PROFILES, fixture } from './helpers.js';

/** A small valid CPU profile; `edit` breaks (or nearly breaks) one thing in it. */
function build(edit: (p: Profile, s: StringTable) => void = () => undefined): Uint8Array {
  const s = new StringTable();
  const p = new Profile({
    sampleType: [new ValueType({ type: s.dedup('samples'), unit: s.dedup('count') }), new ValueType({ type: s.dedup('cpu'), unit: s.dedup('nanoseconds') })],
    periodType: new ValueType({ type: s.dedup('cpu'), unit: s.dedup('nanoseconds') }),
    period: 10_000_000,
    mapping: [new Mapping({ id: 1, filename: s.dedup('/bin/app'), buildId: s.dedup('abc') })],
    function: [new PFunction({ id: 1, name: s.dedup('main'), systemName: s.dedup('main'), filename: s.dedup('main.go') })],
    location: [new Location({ id: 1, mappingId: 1, line: [new Line({ functionId: 1, line: 3 })] })],
    sample: [new Sample({ locationId: [1], value: [1, 10_000_000], label: [new Label({ key: s.dedup('thread'), str: s.dedup('main') })] })],
    stringTable: s,
  });
  edit(p, s);
  return p.encode();
}

const sample0 = (p: Profile) => p.sample[0] as Sample;
const BROKEN = 'the profiler wrote a broken profile';
const BIG = 1000;

/** [rule, how it is broken, the local message, the server's code and message]. */
const refused: Array<[string, () => Uint8Array, string, 'invalid_argument' | 'unknown', string]> = [
  ['no sample types', () => build((p) => { p.sampleType = []; for (const x of p.sample) x.value = []; }), 'the profile has no sample types (the server refuses it with 400: "empty profile"); is it a pprof profile?', 'invalid_argument', 'empty profile'],
  ['101 labels on a sample', () => build((p, s) => { sample0(p).label = Array.from({ length: 101 }, (_, i) => new Label({ key: s.dedup(`k${i}`), num: i })); }), 'a sample has 101 labels (the server refuses more than 100 with 400: "exceeds the sample labels limit")', 'invalid_argument', `the profile with labels '{__name__="process_cpu", service_name="a"}' exceeds the sample labels limit (max_profile_stacktrace_sample_labels, actual: 101, limit: 100)`],
  ['location id 0', () => build((p) => { (p.location[0] as Location).id = 0; }), `location id 0 (the server refuses it with 400: "location id is 0"); ${BROKEN}`, 'invalid_argument', 'location id is 0'],
  ['function id 0', () => build((p) => { (p.function[0] as PFunction).id = 0; }), `function id 0 (the server refuses it with 400: "function id is 0"); ${BROKEN}`, 'invalid_argument', 'function id is 0'],
  ['one value for two sample types', () => build((p) => { sample0(p).value = [1]; }), `a sample has 1 values for 2 sample types (the server refuses it with 400: "sample value length mismatch"); ${BROKEN}`, 'invalid_argument', 'sample value length mismatch'],
  ['sample type name out of range', () => build((p) => { (p.sampleType[0] as ValueType).type = BIG; }), `a sample type refers to string ${BIG} of 10 (the server refuses it with 400: "sample type type string index out of range"); ${BROKEN}`, 'invalid_argument', 'sample type type string index out of range'],
  ['sample label key out of range', () => build((p) => { (sample0(p).label[0] as Label).key = BIG; }), `a sample label key or value refers to string ${BIG} of 10 (the server refuses it with 400: "sample label string index out of range"); ${BROKEN}`, 'invalid_argument', 'sample label string index out of range'],
  ['sample label value out of range', () => build((p) => { (sample0(p).label[0] as Label).str = BIG; }), `a sample label key or value refers to string ${BIG} of 10 (the server refuses it with 400: "sample label string index out of range"); ${BROKEN}`, 'invalid_argument', 'sample label string index out of range'],
  ['function name out of range', () => build((p) => { (p.function[0] as PFunction).name = BIG; }), `a function name refers to string ${BIG} of 10 (the server refuses it with 400: "function name string index out of range"); ${BROKEN}`, 'invalid_argument', 'function name string index out of range'],
  ['function system name out of range', () => build((p) => { (p.function[0] as PFunction).systemName = BIG; }), `a function system name refers to string ${BIG} of 10 (the server refuses it with 400: "function system name index string out of range"); ${BROKEN}`, 'invalid_argument', 'function system name index string out of range'],
  ['function file name out of range', () => build((p) => { (p.function[0] as PFunction).filename = BIG; }), `a function file name refers to string ${BIG} of 10 (the server refuses it with 400: "function file name string index out of range"); ${BROKEN}`, 'invalid_argument', 'function file name string index out of range'],
  ['mapping file name out of range', () => build((p) => { (p.mapping[0] as Mapping).filename = BIG; }), `a mapping file name refers to string ${BIG} of 10 (the server refuses it with 400: "mapping file name string index out of range"); ${BROKEN}`, 'invalid_argument', 'mapping file name string index out of range'],
  ['mapping build id out of range', () => build((p) => { (p.mapping[0] as Mapping).buildId = BIG; }), `a mapping build id refers to string ${BIG} of 10 (the server refuses it with 400: "mapping build id string index out of range"); ${BROKEN}`, 'invalid_argument', 'mapping build id string index out of range'],
  ['a sample type name with "-"', () => build((p, s) => { (p.sampleType[1] as ValueType).type = s.dedup('cpu-time'); }), 'sample type "cpu-time" contains "-" (the server refuses it with 400: "sample type contains -"); rename it in the profiler', 'invalid_argument', 'sample type contains -'],
  ['invalid UTF-8 in the string table', () => withBytes(build((p, s) => { (p.mapping[0] as Mapping).filename = s.dedup('ZZZZ'); }), 'ZZZZ', [0x5a, 0xff, 0xfe, 0x5a]), "the profile's string table has invalid UTF-8; the server rejects it (fix the profiler's output)", 'invalid_argument', 'invalid utf8 string hex: 5afffe5a'],
  ['string 0 is not ""', () => rawProfile(['x', 'cpu']), `the string table does not start with "" (the server refuses it with 400: "string 0 should be empty string"); ${BROKEN}`, 'invalid_argument', 'string 0 should be empty string'],
  ['a negative sample label key (the server panics)', () => build((p) => { (sample0(p).label[0] as Label).key = -1; }), `a sample label refers to string -1 (the server fails with 500 on it); ${BROKEN}`, 'unknown', 'push series with index 0 and id id failed: runtime error: index out of range [-1]'],
  ['text', () => new TextEncoder().encode('hi\n'), 'not a pprof profile (only 3 bytes; is it text?)', 'unknown', 'gzip reset: unexpected EOF'],
  ['a longer text', () => new TextEncoder().encode('this is not a profile at all\n'), 'not a pprof profile (no protobuf message; is it text, or truncated?)', 'unknown', ''],
  ['a truncated profile', () => { const b = build(); return b.subarray(0, b.length - 3); }, 'not a pprof profile (no protobuf message: it ends mid-field; is it text, or truncated?)', 'unknown', 'unexpected EOF'],
  ['random bytes', () => new Uint8Array(Array.from({ length: 64 }, (_, i) => (i * 73 + 41) % 256)), 'not a pprof profile (no protobuf message; is it text, or truncated?)', 'unknown', ''],
  ['a truncated gzip', () => gzipSync(build()).subarray(0, 40), 'gzip data is damaged (unexpected end of file); re-create the file', 'unknown', 'copy to buffer: unexpected EOF'],
  ['gzipped text', () => gzipSync('hello, world\n'), 'not a pprof profile (no protobuf message; is it text, or truncated?)', 'unknown', ''],
];

/** Near misses: each is the closest thing to a rule above that the server takes. */
const accepted: Array<[string, () => Uint8Array]> = [
  ['the base profile', () => build()],
  ['100 labels on a sample', () => build((p, s) => { sample0(p).label = Array.from({ length: 100 }, (_, i) => new Label({ key: s.dedup(`k${i}`), num: i })); })],
  ['a sample pointing at a location that does not exist (dropped silently)', () => build((p) => { sample0(p).locationId = [99]; })],
  ['a line pointing at a function that does not exist (dropped silently)', () => build((p) => { ((p.location[0] as Location).line[0] as Line).functionId = 99; })],
  ['a sample type unit out of range (not checked)', () => build((p) => { (p.sampleType[0] as ValueType).unit = BIG; })],
  ['a period type out of range (not checked)', () => build((p) => { (p.periodType as ValueType).type = BIG; })],
  ['a "-" in a sample type unit', () => build((p, s) => { (p.sampleType[1] as ValueType).unit = s.dedup('nano-seconds'); })],
  ['a "-" in a label name and a function name', () => build((p, s) => { (sample0(p).label[0] as Label).key = s.dedup('thread-id'); (p.function[0] as PFunction).name = s.dedup('a-b'); })],
  ['negative and zero values (dropped silently)', () => build((p) => { p.sample.push(new Sample({ locationId: [1], value: [-1, 5] }), new Sample({ locationId: [1], value: [0, 0] })); })],
];

/** The encoded profile with the UTF-8 bytes of `marker` replaced. */
function withBytes(encoded: Uint8Array, marker: string, replacement: number[]): Uint8Array {
  const at = Buffer.from(encoded).indexOf(marker);
  assert.ok(at >= 0);
  const out = new Uint8Array(encoded);
  out.set(replacement, at);
  return out;
}

/** A profile pprof-format cannot write: one sample type, the given string table as is. */
function rawProfile(strings: string[]): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.Varint).int64(1).join();
  for (const t of strings) w.tag(6, WireType.LengthDelimited).string(t);
  return w.finish();
}

describe('decodeProfile refuses what the server refuses, with a line that names the rule', () => {
  for (const [name, make, message] of refused)
    test(name, () => {
      assert.throws(() => decodeProfile(make()), (err: unknown) => {
        assert.ok(err instanceof ProfileError);
        assert.equal(err.message, message);
        return true;
      });
    });
  for (const [name, make] of accepted) test(`near miss, accepted: ${name}`, () => assert.doesNotThrow(() => decodeProfile(make())));
  test('a profile of raw protobuf under 10 bytes is refused: the server reads a 10-byte gzip header first', () => {
    assert.throws(() => decodeProfile(rawProfile(['', 'x']).subarray(0, 9)), /not a pprof profile \(only 9 bytes; is it text\?\)/);
  });
});

describe('gunzipWhole: an output buffer sized by the gzip trailer, the same content as gunzipSync', () => {
  const big = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `line ${i}\n`).join(''));
  // Over 16 KiB of content in a gzip of under 16 KiB: the trailer's size is taken (gunzipWhole's bound).
  const mid = Buffer.from(Array.from({ length: 3_000 }, (_, i) => `line ${i % 100}\n`).join(''));
  test('the cases below take the trailer as they mean to', () => {
    assert.ok(mid.length > 16 * 1024 && gzipSync(mid).length <= 16 * 1024 && gzipSync(big).length > 16 * 1024);
  });
  const cases: [string, Uint8Array][] = [
    ['a small profile', gzipSync(build())],
    ['content over 16 KiB, its trailer taken (several of zlib\'s output buffers)', gzipSync(mid)],
    ['a gzip over 16 KiB, its trailer not taken', gzipSync(big)],
    ['empty content', gzipSync(Buffer.alloc(0))],
    ['two gzip members (the trailer gives only the last one\'s size)', Buffer.concat([gzipSync(mid), gzipSync(build())])],
  ];
  for (const [name, gz] of cases) test(name, () => assert.deepEqual(gunzipWhole(gz, 64 << 20), gunzipSync(gz)));

  test('a small content comes from the buffer pool, not a 16 KiB buffer of its own', () => {
    assert.ok(gunzipWhole(gzipSync(build()), 64 << 20).buffer.byteLength < 16 * 1024);
  });

  test('a view into a larger buffer: the trailer is read at the end of the view', () => {
    const gz = gzipSync(build());
    const junk = Buffer.alloc(64, 0xff); // read as a trailer, it would say 4 GiB
    const view = Buffer.concat([junk, gz, junk]).subarray(junk.length, junk.length + gz.length);
    const out = gunzipWhole(view, 64 << 20);
    assert.deepEqual(out, gunzipSync(gz));
    assert.ok(out.buffer.byteLength < 16 * 1024);
  });

  test('shorter than a gzip trailer: the error gunzipSync gives', () => {
    const cut = gzipSync(build()).subarray(0, 12);
    assert.throws(() => gunzipSync(cut), { code: 'Z_BUF_ERROR' });
    assert.throws(() => gunzipWhole(cut, 64 << 20), { code: 'Z_BUF_ERROR', message: 'unexpected end of file' });
  });

  test('a trailer that lies about the size is refused as gunzipSync refuses it', () => {
    const gz = Buffer.from(gzipSync(mid));
    gz.writeUInt32LE(10, gz.length - 4);
    assert.throws(() => gunzipSync(gz), /incorrect length check/);
    assert.throws(() => gunzipWhole(gz, 64 << 20), /incorrect length check/);
  });

  test('over the size given: ERR_BUFFER_TOO_LARGE, as gunzipSync', () => {
    assert.throws(() => gunzipWhole(gzipSync(big), 1000), { code: 'ERR_BUFFER_TOO_LARGE' });
  });
});

describe('the receiver answers each rule as the server does', () => {
  let r: Receiver;
  before(async () => (r = await startReceiver('127.0.0.1', 0)));
  after(() => r.close());
  const push = async (profile: Uint8Array, labels: Record<string, string> = { __name__: 'process_cpu', service_name: 'a' }) => {
    const res = await request(r.url + PUSH_PATH, { method: 'POST', body: encodePushRequest(labels, profile, 'id'), headers: { 'content-type': 'application/proto' } });
    const text = await res.body.text();
    return { status: res.statusCode, body: text === '' ? undefined : (JSON.parse(text) as { code: string; message: string }) };
  };
  for (const [name, make, , code, message] of refused)
    test(name, async () => {
      const res = await push(make());
      assert.equal(res.status, code === 'unknown' ? 500 : 400);
      assert.equal(res.body?.code, code);
      // vtproto's own wording for garbage is not reproduced; the code and status are.
      if (message !== '') assert.equal(res.body?.message, message);
    });
  for (const [name, make] of accepted) test(`near miss, 200: ${name}`, async () => assert.equal((await push(make())).status, 200));

  test('31 label names in one group of samples → 400 with the series', async () => {
    const labels = { __name__: 'process_cpu', service_name: 'a', ...Object.fromEntries(Array.from({ length: 28 }, (_, i) => [`l${String(i).padStart(2, '0')}`, 'v'])) };
    const ok = await push(build(), { ...labels, l27: '' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const res = await push(build(), labels);
    assert.equal(res.status, 400);
    assert.match(res.body?.message ?? '', /^profile series '\{__name__="process_cpu", l00="v", .*, service_name="a", thread="main"\}' has 31 label names; limit 30$/);
  });
  test('trace_id, span_id and profile_id stay on the samples and do not count', async () => {
    const labels = { __name__: 'process_cpu', service_name: 'a', ...Object.fromEntries(Array.from({ length: 27 }, (_, i) => [`l${i}`, 'v'])) };
    const traced = build((p, s) => sample0(p).label.push(...['trace_id', 'span_id', 'profile_id'].map((k) => new Label({ key: s.dedup(k), str: s.dedup('x') }))));
    assert.equal((await push(traced, labels)).status, 200);
  });
  test('a sample-label value over 2048 bytes → 400 "label value too long"', async () => {
    const long = 'v'.repeat(2049);
    const res = await push(build((p, s) => { (sample0(p).label[0] as Label).str = s.dedup(long); }));
    assert.deepEqual(res, { status: 400, body: { code: 'invalid_argument', message: `profile with labels '{__name__="process_cpu", service_name="a", thread="${long}"}' has label value too long: '${long}'` } });
  });
  test('no __name__ → 400 naming the labels, after the service_name the server adds', async () => {
    assert.deepEqual(await push(build(), { env: 'x' }), { status: 400, body: { code: 'invalid_argument', message: `invalid labels '{env="x", service_name="unknown_service", thread="main"}' with error: invalid metric name` } });
  });
  test('service_name="" removes it: "service name is not provided"', async () => {
    const res = await push(build((p) => (sample0(p).label = [])), { __name__: 'x', service_name: '' });
    assert.deepEqual(res.body, { code: 'invalid_argument', message: `invalid labels '{__name__="x"}' with error: service name is not provided` });
  });
  test('a profile with only zero samples: 200, nothing kept', async () => {
    const before = r.received.length;
    assert.equal((await push(build((p) => (sample0(p).value = [0, 0])))).status, 200);
    assert.equal(r.received.length, before);
  });
  test('a push with no profiles → 400 "no profiles received"', async () => {
    const res = await request(r.url + PUSH_PATH, { method: 'POST', body: new Uint8Array(), headers: { 'content-type': 'application/proto' } });
    assert.deepEqual([res.statusCode, await res.body.json()], [400, { code: 'invalid_argument', message: 'no profiles received' }]);
  });
  test('over the 2 MiB rate-limit burst (labels + re-encoded size) → 429', async () => {
    const big = build((p, s) => { for (let i = 0; i < 40; i++) p.mapping.push(new Mapping({ id: i + 2, filename: s.dedup(`${i}`.padEnd(60_000, 'x')) })); });
    const res = await push(big);
    assert.equal(res.status, 429);
    assert.match(res.body?.message ?? '', /^push rate limit \(4\.0 MiB\) exceeded while adding 2\.3 MiB$/);
  });
  test('go-humanize formats', () => {
    assert.deepEqual([humanizeBytes(4194304), humanizeIBytes(4194304), humanizeIBytes(2_411_724), humanizeIBytes(15 * 1024 * 1024), humanizeIBytes(5)], ['4.2 MB', '4.0 MiB', '2.3 MiB', '15 MiB', '5 B']);
  });
});

describe('the wire-level facts equal pprof-format on every real profile and fixture', () => {
  const dirs = [join(import.meta.dirname, '../fixtures'), ...(existsSync(SHARED_PROFILES) ? [SHARED_PROFILES] : [])];
  const files = dirs.flatMap((d) => readdirSync(d).filter((f) => /\.(pb|gz|pprof)$/.test(f) && !f.startsWith('bad-')).map((f) => join(d, f)));
  test('there are files to compare', () => assert.ok(files.length >= 5, files.join(', ')));
  for (const file of files)
    test(file.slice(file.lastIndexOf('/') + 1), () => {
      const bytes = new Uint8Array(readFileSync(file));
      const facts = decodeProfile(bytes);
      const raw = facts.gzipped ? gunzipSync(bytes) : bytes;
      const p = Profile.decode(raw);
      const str = (i: number | bigint) => p.stringTable.strings[Number(i)] ?? '';
      const keys = new Set<string>();
      for (const s of p.sample)
        if (s.value.some((v) => Number(v) !== 0) && !s.value.some((v) => Number(v) < 0))
          for (const l of s.label) if (Number(l.str) !== 0 && str(l.str) !== '' && !UNPROMOTED_SAMPLE_LABELS.has(str(l.key))) keys.add(str(l.key));
      assert.deepEqual(
        {
          sampleTypes: facts.shape.sampleTypes,
          periodType: facts.shape.periodType,
          periodUnit: facts.shape.periodUnit,
          sampleTypeUnits: facts.sampleTypeUnits,
          sampleCount: facts.sampleCount,
          keys: [...facts.sampleLabelKeys].sort(),
          timeNanos: facts.timeNanos,
          durationNanos: facts.durationNanos,
          uncompressedSize: facts.uncompressedSize,
          // pprof-format writes what vtproto writes: zero fields left out, numbers packed.
          encodedSize: facts.encodedSize,
        },
        {
          sampleTypes: p.sampleType.map((t) => str(t.type)),
          periodType: str(p.periodType?.type ?? 0),
          periodUnit: str(p.periodType?.unit ?? 0),
          sampleTypeUnits: p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`),
          sampleCount: p.sample.length,
          keys: [...keys].sort(),
          timeNanos: BigInt(p.timeNanos),
          durationNanos: BigInt(p.durationNanos),
          uncompressedSize: raw.length,
          encodedSize: p.encode().length,
        },
      );
    });
  test('shared between inputs (SharedFacts), every input keeps facts equal to its own', () => {
    // Each file three times, interleaved, so that kinds come back after others: with and without sample labels.
    const each = files.map((f) => new Uint8Array(readFileSync(f)));
    const shared = new SharedFacts();
    const order = [...each, ...each.slice().reverse(), ...each];
    const sharedFacts = order.map((bytes) => shared.share(decodeProfile(bytes)));
    assert.deepEqual(sharedFacts, order.map((bytes) => decodeProfile(bytes)));
    // Inputs of one kind hold one copy of what they share.
    const [first, again] = [sharedFacts[0], sharedFacts[each.length * 2]];
    assert.equal(first?.shape, again?.shape);
    assert.equal(first?.sampleLabelKeys, again?.sampleLabelKeys);
  });
  test('fixture cpu.pb.gz', () => assert.ok(fixture('cpu.pb.gz')));
});
