import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InputProfile } from '../src/sources/inputs.js';
import { LabelMemo, type PlanSettings, planProfiles } from '../src/profile/plan.js';

const NOW = Date.parse('2026-11-25T10:00:00Z');
const MiB = 1024 * 1024;
const input = (over: Partial<InputProfile> = {}): InputProfile => ({
  name: 'p.pb.gz',
  sha256: '',
  size: 100,
  gzipped: true,
  uncompressedSize: 1000,
  encodedSize: 1000,
  shape: { sampleTypes: ['samples', 'cpu'], periodType: 'cpu', periodUnit: 'nanoseconds' },
  sampleTypeUnits: ['samples/count', 'cpu/nanoseconds'],
  sampleCount: 10,
  storedSampleCount: 10,
  sampleLabelKeys: new Set(),
  sampleLabelKeySets: [[]],
  sampleLabelExamples: [[]],
  sampleLabelValueBytes: new Map(),
  timeNanos: 0n,
  durationNanos: 0n,
  ...over,
});
// Only what planning reads: a RunConfig has it all, so planning does not change when RunConfig grows.
const config = (over: Partial<PlanSettings> = {}): PlanSettings => ({
  externalLabels: { service_name: 'api' },
  legacyLabelNames: false,
  strict: false,
  overrideTimestamp: false,
  ...over,
});
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

describe("the server's default limits: warned about, refused with --strict", () => {
  const cases: Array<[string, Partial<InputProfile>, RegExp | null]> = [
    ['a small recent profile', { timeNanos: ns(NOW - 60_000) }, null],
    ['time_nanos 0 means now', { timeNanos: 0n }, null],
    ['over 4 MiB uncompressed', { uncompressedSize: 4 * MiB + 1 }, /4\.0 MiB uncompressed, above the server's 4 MiB limit: it will be refused \(400\)/],
    ['over 4 MiB once re-encoded', { encodedSize: 4 * MiB + 1 }, /4\.0 MiB uncompressed, above the server's 4 MiB limit/],
    ['over the 2 MiB burst', { uncompressedSize: 3 * MiB, encodedSize: 3 * MiB }, /3\.0 MiB uncompressed, above the server's 2 MiB rate-limit burst \(counted as it counts: re-encoded, with its labels\): it will be refused \(429\) on every try/],
    // Labels: __delta__=false (14) + __name__=process_cpu (19) + service_name=api (15) = 48 bytes.
    ['2 MiB with the labels is fine', { uncompressedSize: 2 * MiB - 48, encodedSize: 2 * MiB - 48 }, null],
    ['the labels push it over 2 MiB', { uncompressedSize: 2 * MiB - 47, encodedSize: 2 * MiB - 47 }, /2\.0 MiB uncompressed, above the server's 2 MiB rate-limit burst \(counted as it counts/],
    ['the raw size under 2 MiB does not matter, the re-encoded one does', { uncompressedSize: MiB, encodedSize: 3 * MiB }, /3\.0 MiB uncompressed, above the server's 2 MiB rate-limit burst/],
    ['no samples', { sampleCount: 0, storedSampleCount: 0, sampleLabelKeySets: [] }, /the profile has no samples: the server answers 200 and stores nothing/],
    ['only zero samples', { sampleCount: 3, storedSampleCount: 0 }, /the profile has no samples the server keeps \(all 3 are zero or negative\): the server answers 200 and stores nothing/],
    ['over 16000 samples', { sampleCount: 16_001 }, /16001 samples, above the server's limit of 16000/],
    ['older than an hour', { timeNanos: ns(NOW - 61 * 60_000) }, /time_nanos 2026-11-25T08:59:00\.000Z is outside the server's ingestion window/],
    ['more than 10 minutes ahead', { timeNanos: ns(NOW + 11 * 60_000) }, /outside the server's ingestion window/],
    ['9 minutes ahead is fine', { timeNanos: ns(NOW + 9 * 60_000) }, null],
  ];
  for (const [name, over, expected] of cases)
    test(name, () => {
      const warned = planProfiles([input(over)], config(), NOW);
      const strict = planProfiles([input(over)], config({ strict: true }), NOW);
      if (expected === null) {
        assert.deepEqual([warned.warnings, strict.problems], [[], []]);
        return;
      }
      assert.match(warned.warnings.join('\n'), expected);
      assert.deepEqual(warned.problems, []);
      assert.equal(warned.profiles.length, 1);
      assert.match(strict.problems.join('\n'), new RegExp(`^p\\.pb\\.gz: .*${expected.source}.*\\(--strict\\)$`, 'm'));
    });
  test('--override-timestamp silences the time window', () => {
    assert.deepEqual(planProfiles([input({ timeNanos: ns(NOW - 86_400_000) })], config({ overrideTimestamp: true }), NOW).warnings, []);
  });
});

describe('labels per profile', () => {
  test('derived __name__ and __delta__="false", external labels on top', () => {
    const plan = planProfiles([input()], config({ externalLabels: { service_name: 'api', env: 'ci' } }), NOW);
    assert.deepEqual(plan.profiles[0]?.labels, { __delta__: 'false', __name__: 'process_cpu', env: 'ci', service_name: 'api' });
  });
  test('no service_name: one warning for many profiles', () => {
    const plan = planProfiles([input(), input({ name: 'q' })], config({ externalLabels: {} }), NOW);
    assert.equal(plan.warnings.filter((w) => w.includes('service_name')).length, 1);
  });
  test('a bad label is reported once, not once per profile', () => {
    const plan = planProfiles([input(), input({ name: 'q' })], config({ externalLabels: { '': 'x' } }), NOW);
    assert.equal(plan.problems.length, 1);
  });
  // 27 external + service_name + __name__ + __delta__ = 30 series labels.
  const externalLabels: Record<string, string> = { service_name: 'api', ...Object.fromEntries(Array.from({ length: 27 }, (_, i) => [`l${i}`, 'v'])) };
  test('too many names counting one group of sample labels names the profile', () => {
    assert.deepEqual(planProfiles([input()], config({ externalLabels }), NOW).problems, []);
    const plan = planProfiles([input({ sampleLabelKeys: new Set(['thread']), sampleLabelKeySets: [['thread']] })], config({ externalLabels }), NOW);
    assert.deepEqual(plan.problems, ['p.pb.gz: 31 label names on one series (30 series labels, 1 more from one group of sample labels (thread)); the server allows 30']);
  });
  test('groups are counted apart, as the server does: 29 + 1 in each of two groups is fine', () => {
    const { l26: _, ...fewer } = externalLabels;
    const inp = input({ sampleLabelKeys: new Set(['a', 'b']), sampleLabelKeySets: [['a'], ['b']] });
    assert.deepEqual(planProfiles([inp], config({ externalLabels: fewer }), NOW).problems, []);
    const both = input({ sampleLabelKeys: new Set(['a', 'b']), sampleLabelKeySets: [['a', 'b']] });
    assert.match(planProfiles([both], config({ externalLabels: fewer }), NOW).problems.join('\n'), /31 label names on one series/);
  });
  test('a long sample-label value is refused; one under a series label of the same name is not', () => {
    const inp = input({ sampleLabelKeys: new Set(['sql']), sampleLabelKeySets: [['sql']], sampleLabelValueBytes: new Map([['sql', 2049]]) });
    assert.deepEqual(planProfiles([inp], config(), NOW).problems, ['p.pb.gz: sample label sql: a value is 2049 bytes; the server allows 2048 ("label value too long")']);
    assert.deepEqual(planProfiles([inp], config({ externalLabels: { service_name: 'api', sql: 'x' } }), NOW).problems, []);
  });
});

describe('a LabelMemo: inputs of one kind get the labels worked out once, and the same plan as without it', () => {
  // One kind: the facts objects are shared, as SharedFacts shares them between inputs of one profiler.
  const facts = { sampleLabelKeys: new Set(['thread']), sampleLabelKeySets: [['thread']], sampleLabelExamples: [[['thread', 'main'] as [string, string]]], sampleLabelValueBytes: new Map([['thread', 4]]) };
  const heap = { shape: { sampleTypes: ['inuse_space'], periodType: 'space', periodUnit: 'bytes' }, sampleTypeUnits: ['inuse_space/bytes'] };
  // 31 label names with the sample label: a problem of each input's.
  const externalLabels = { service_name: 'api', ...Object.fromEntries(Array.from({ length: 27 }, (_, i) => [`l${i}`, 'v'])) };
  const runs: Array<[string, Partial<InputProfile>[], Partial<PlanSettings>]> = [
    ['one kind', [facts, { ...facts, name: 'q' }, { ...facts, name: 'r', storedSampleCount: 0 }], {}],
    ['two types of one kind', [facts, { ...facts, ...heap }, { ...facts, name: 'q' }, { ...facts, ...heap, name: 'r' }], {}],
    ['labels with a problem are worked out for every input', [facts, { ...facts, name: 'q' }], { externalLabels }],
    ['labels of its own', [{ ...facts, ownLabels: { __name__: 'goroutine' } }, facts, { ...facts, ownLabels: { job: 'x' } }], {}],
    ['--profile-name', [facts, { ...facts, name: 'q' }], { profileName: { value: 'wall', force: true } }],
    ['equal facts that are other objects', [facts, { ...facts, sampleLabelKeySets: [['thread']] }, { ...facts, sampleLabelValueBytes: new Map([['thread', 9000]]) }], {}],
  ];
  for (const [name, inputs, settings] of runs)
    test(name, () => {
      const memo = new LabelMemo();
      const oneByOne = inputs.map((over) => planProfiles([input(over)], config(settings), NOW, inputs.length, memo));
      assert.deepEqual(oneByOne, inputs.map((over) => planProfiles([input(over)], config(settings), NOW, inputs.length)));
    });
  test('the labels an input of a known kind gets are the object worked out for the first', () => {
    const memo = new LabelMemo();
    const [a, b, c] = [facts, { ...facts, name: 'q' }, { ...facts, ...heap }].map((over) => planProfiles([input(over)], config(), NOW, 3, memo).profiles[0]?.labels);
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.deepEqual(c, { __delta__: 'false', __name__: 'memory', service_name: 'api' });
  });
});
