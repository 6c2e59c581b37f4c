import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, ROOT, fixture } from './helpers.js';

/** The packages a run resolved, by name, as test/load-spy.mjs reports them. */
function packagesLoaded(args: string[]): { code: number | null; packages: Set<string> } {
  const run = spawnSync(process.execPath, ['--import', join(ROOT, 'test/load-spy.mjs'), BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  const packages = new Set([...run.stderr.matchAll(/LOADED file:\/\/.*\/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].map((m) => m[1] as string));
  return { code: run.status, packages };
}

const HEAVY = ['undici', 'ora', 'yaml', '@bufbuild/protobuf', 'pprof-format'];

for (const args of [['--help'], ['--version'], ['receive', '--help']])
  test(`${args.join(' ')} loads none of ${HEAVY.join(', ')}`, () => {
    const { code, packages } = packagesLoaded(args);
    assert.equal(code, 0);
    assert.ok(packages.has('commander'), 'the spy works');
    for (const heavy of HEAVY) assert.ok(!packages.has(heavy), `${heavy} was loaded`);
  });

test('a push without --config does not load yaml, and without a TTY not ora', () => {
  const { packages } = packagesLoaded([fixture('cpu.pb.gz'), '--url', 'http://127.0.0.1:1', '--max-attempts', '1']);
  assert.ok(packages.has('undici'), 'the spy works');
  assert.ok(!packages.has('yaml'));
  assert.ok(!packages.has('ora'));
});
