import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, ROOT, fixture } from './helpers.js';

/** The packages a run resolved, by name, as test/load-spy.mjs reports them. */
function packagesLoaded(args: string[]): { code: number | null; packages: Set<string>; files: string[] } {
  const run = spawnSync(process.execPath, ['--import', join(ROOT, 'test/load-spy.mjs'), BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  const files = [...run.stderr.matchAll(/LOADED file:\/\/.*\/node_modules\/(\S+)/g)].map((m) => m[1] as string);
  const packages = new Set(files.map((f) => (f.startsWith('@') ? f.split('/').slice(0, 2) : f.split('/').slice(0, 1)).join('/')));
  return { code: run.status, packages, files };
}

const HEAVY = ['undici', 'ora', 'yaml', '@bufbuild/protobuf', 'pprof-format'];

for (const args of [['--help'], ['--version'], ['receive', '--help']])
  test(`${args.join(' ')} loads none of ${HEAVY.join(', ')}`, () => {
    const { code, packages } = packagesLoaded(args);
    assert.equal(code, 0);
    assert.ok(packages.has('commander'), 'the spy works');
    for (const heavy of HEAVY) assert.ok(!packages.has(heavy), `${heavy} was loaded`);
  });

test("a push loads neither yaml (no --config), ora (no TTY), nor undici's index (fetch, WebSocket…)", () => {
  const { packages, files } = packagesLoaded([fixture('cpu.pb.gz'), '--url', 'http://127.0.0.1:1', '--max-attempts', '1']);
  assert.ok(files.includes('undici/lib/dispatcher/agent.js'), 'the spy sees require() too');
  assert.ok(!files.includes('undici/index.js'));
  assert.ok(!files.some((f) => f.startsWith('undici/lib/web/')), 'no fetch or WebSocket');
  assert.ok(!packages.has('yaml'));
  assert.ok(!packages.has('ora'));
});
