import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readInput } from '../src/sources/inputs.js';
import { deriveProfileName } from '../src/profile/name.js';
import { FIXTURES, SHARED_PROFILES } from './helpers.js';

const noStdin = { isTTY: false, read: async () => new Uint8Array() };

describe('__name__ from sample types (table)', () => {
  const cases: Array<[string[], string, string, string | undefined]> = [
    [['samples', 'cpu'], 'nanoseconds', 'x', 'process_cpu'],
    [['cpu'], 'nanoseconds', 'x', 'process_cpu'],
    [['samples', 'wall'], 'microseconds', 'x', 'wall'],
    [['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space'], 'bytes', 'x', 'memory'],
    [['inuse_space'], 'bytes', 'x', 'memory'],
    [['objects', 'space'], 'bytes', 'x', 'memory'],
    [['goroutine'], 'count', 'x', 'goroutine'],
    [['goroutines'], 'count', 'x', 'goroutine'],
    [['mutex_count', 'mutex_duration'], 'count', 'x', 'mutex'],
    [['block_count', 'block_duration'], 'count', 'x', 'block'],
    [['contentions', 'delay'], 'count', 'go-mutex.pprof', 'mutex'],
    [['contentions', 'delay'], 'count', '/tmp/block.pb.gz', 'block'],
    [['contentions', 'delay'], 'count', 'profile.pb.gz', undefined],
    [['samples'], 'milliseconds', 'x', 'process_cpu'],
    [['samples'], 'count', 'x', undefined],
    [['requests'], 'count', 'x', undefined],
  ];
  for (const [types, periodUnit, file, expected] of cases)
    test(`${types.join(',')} (period unit ${periodUnit}, ${file}) → ${expected}`, () =>
      assert.equal(deriveProfileName({ sampleTypes: types, periodType: '', periodUnit }, file), expected));
});

describe('__name__ of real profiles', () => {
  const expected: Record<string, string | undefined> = {
    'go-cpu-small.pb.gz': 'process_cpu',
    'go-heap.pb.gz': 'memory',
    'go-heap-raw.pb': 'memory',
    'go-heap-large.pb.gz': 'memory',
    'go-goroutine.pprof': 'goroutine',
    'go-block.pprof': 'block',
    'go-mutex.pprof': 'mutex',
    'nodejs-wall.pb.gz': 'wall',
    'nodejs-heap-raw.pprof': 'memory',
    'python-cpu.pb.gz': 'process_cpu',
    'ruby-cpu.pb.gz': 'process_cpu',
    'rust-cpu.pb.gz': 'process_cpu',
    'java-jfr-cpu.pb.gz': 'process_cpu',
    'dotnet-raw-misnamed.pb.gz': 'process_cpu',
    'pyspy-raw-misnamed.pb.gz': 'process_cpu',
  };
  const own: Record<string, string | undefined> = {
    'cpu.pb.gz': 'process_cpu',
    'heap.pb': 'memory',
    'labelled.pb.gz': 'process_cpu',
    'contentions.pb.gz': undefined,
    'custom.pb.gz': undefined,
  };
  for (const [file, name] of Object.entries(own))
    test(`fixtures/${file} → ${name}`, async () => {
      const input = await readInput(join(FIXTURES, file), noStdin);
      assert.equal(deriveProfileName(input.shape, input.name), name);
    });
  const shared = existsSync(SHARED_PROFILES);
  test('every shared profile has an expectation', { skip: !shared && 'no ../shared/profiles' }, () => {
    const files = readdirSync(SHARED_PROFILES).filter((f) => !f.endsWith('.md') && !f.startsWith('bad-'));
    assert.deepEqual(files.sort(), Object.keys(expected).sort());
  });
  for (const [file, name] of Object.entries(expected))
    test(`shared/${file} → ${name}`, { skip: !shared && 'no ../shared/profiles' }, async () => {
      const input = await readInput(join(SHARED_PROFILES, file), noStdin);
      assert.equal(deriveProfileName(input.shape, input.name), name);
    });
});
