import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunConfig } from '../src/config/resolve.js';
import type { InputProfile } from '../src/sources/inputs.js';
import { planProfiles } from '../src/profile/plan.js';

const NOW = Date.parse('2026-11-25T10:00:00Z');
const MiB = 1024 * 1024;
const input = (over: Partial<InputProfile> = {}): InputProfile => ({
  name: 'p.pb.gz',
  sha256: '',
  size: 100,
  gzipped: true,
  uncompressedSize: 1000,
  shape: { sampleTypes: ['samples', 'cpu'], periodType: 'cpu', periodUnit: 'nanoseconds' },
  sampleTypeUnits: ['samples/count', 'cpu/nanoseconds'],
  sampleCount: 10,
  sampleLabelKeys: new Set(),
  timeNanos: 0n,
  ...over,
});
const config = (over: Partial<RunConfig> = {}): RunConfig => ({
  endpoints: [],
  externalLabels: { service_name: 'api' },
  legacyLabelNames: false,
  strict: false,
  overrideTimestamp: false,
  concurrency: 1,
  deadlineMs: 0,
  dryRun: false,
  ...over,
});
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

describe("the server's default limits: warned about, refused with --strict", () => {
  const cases: Array<[string, Partial<InputProfile>, RegExp | null]> = [
    ['a small recent profile', { timeNanos: ns(NOW - 60_000) }, null],
    ['time_nanos 0 means now', { timeNanos: 0n }, null],
    ['over 4 MiB uncompressed', { uncompressedSize: 4 * MiB + 1 }, /4\.0 MiB uncompressed, above the server's 4 MiB limit: it will be refused \(400\)/],
    ['over the 2 MiB burst', { uncompressedSize: 3 * MiB }, /3\.0 MiB uncompressed, above the server's 2 MiB rate-limit burst: it will be refused \(429\) on every try/],
    ['exactly 2 MiB is fine', { uncompressedSize: 2 * MiB }, null],
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
  test('too many names counting sample labels names the profile', () => {
    // 28 external + __name__ + __delta__ = 30 series labels; one sample label key makes 31.
    const externalLabels = Object.fromEntries(Array.from({ length: 28 }, (_, i) => [`l${i}`, 'v']));
    const ok = planProfiles([input()], config({ externalLabels }), NOW);
    assert.deepEqual(ok.problems, []);
    const plan = planProfiles([input({ sampleLabelKeys: new Set(['span_id']) })], config({ externalLabels }), NOW);
    assert.deepEqual(plan.problems, ["p.pb.gz: 31 label names (30 series labels, 1 more from sample labels); the server allows 30"]);
  });
});
