import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BIN, ROOT, fixture } from './helpers.js';

/** esbuild's metafile of the bundle bin/ runs (scripts/bundle.ts), if it runs one: chunk → its sources. */
const META = join(ROOT, 'dist-bundle/meta.json');
const chunks: Map<string, string[]> = existsSync(META)
  ? new Map(Object.entries((JSON.parse(readFileSync(META, 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> }).outputs).map(([out, o]) => [join(ROOT, out), Object.keys(o.inputs)]))
  : new Map();

/**
 * What a run loaded, as test/load-spy.mjs reports it, whether bin/ runs the bundle or tsc's dist/:
 * `files` are package files (`undici/lib/dispatcher/agent.js`), `own` our modules without extension
 * (`protocol/gen/push/v1/push_pb`), `packages` the package names. A chunk of the bundle counts as all
 * of its sources, whether or not they run: the check is the stricter for it.
 */
function loaded(args: string[]): { code: number | null; stdout: string; packages: Set<string>; files: string[]; own: string[]; bundled: boolean } {
  const run = spawnSync(process.execPath, ['--import', join(ROOT, 'test/load-spy.mjs'), BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  const paths = new Set<string>();
  let bundled = false;
  for (const m of run.stderr.matchAll(/^LOADED (file:\/\/\S+)$/gm)) {
    const path = fileURLToPath(m[1] as string);
    const inputs = chunks.get(path);
    if (inputs) bundled = true;
    for (const p of inputs ?? [path]) paths.add(p);
  }
  const files: string[] = [];
  const own: string[] = [];
  for (const p of paths) {
    const pkg = /(?:^|\/)node_modules\/(.+)$/.exec(p);
    const mine = /(?:^|\/)(?:src|dist)\/(.+)\.(?:ts|js)$/.exec(p);
    if (pkg) files.push(pkg[1] as string);
    else if (mine && !p.includes('dist-bundle')) own.push(mine[1] as string);
  }
  const packages = new Set(files.map((f) => (f.startsWith('@') ? f.split('/').slice(0, 2) : f.split('/').slice(0, 1)).join('/')));
  return { code: run.status, stdout: run.stdout, packages, files, own, bundled };
}

const HEAVY = ['undici', 'ora', 'yaml', '@bufbuild/protobuf', 'pprof-format'];

test('--version alone loads no package at all (answered before commander), and answers as commander does', () => {
  const { code, stdout, packages, own } = loaded(['--version']);
  assert.equal(code, 0);
  assert.ok(own.includes('version'), 'the spy works');
  assert.deepEqual([...packages], []);
  const commander = loaded(['-V', '--verbose']); // not alone: commander answers
  assert.ok(commander.packages.has('commander'));
  assert.deepEqual([commander.code, commander.stdout], [code, stdout]);
  assert.match(stdout, /^\d+\.\d+\.\d+\n$/);
});

for (const args of [['--help'], ['receive', '--help'], ['-V', '--verbose']])
  test(`${args.join(' ')} loads none of ${HEAVY.join(', ')}`, () => {
    const { code, packages } = loaded(args);
    assert.equal(code, 0);
    assert.ok(packages.has('commander'), 'the spy works');
    for (const heavy of HEAVY) assert.ok(!packages.has(heavy), `${heavy} was loaded`);
  });

test("a push loads neither yaml (no --config), ora (no TTY), undici's index (fetch, WebSocket…), protobuf's runtime nor the generated messages", () => {
  const { files, packages, own, bundled } = loaded([fixture('cpu.pb.gz'), '--url', 'http://127.0.0.1:1', '--max-attempts', '1']);
  assert.ok(files.includes('undici/lib/dispatcher/agent.js'), 'the spy sees require() too');
  assert.ok(!files.includes('undici/index.js'));
  if (!bundled) assert.ok(!files.some((f) => f.startsWith('undici/lib/web/')), 'no fetch or WebSocket');
  assert.ok(!packages.has('yaml'));
  assert.ok(!packages.has('ora'));
  // The PushRequest is written with the wire writer: no descriptors booted, no reflection index.
  const protobuf = files.filter((f) => f.startsWith('@bufbuild/protobuf/')).map((f) => f.replace(/^@bufbuild\/protobuf\/dist\/(esm|cjs)\//, ''));
  assert.ok(protobuf.some((f) => f.startsWith('wire/')), 'the wire writer is loaded');
  for (const f of protobuf) assert.ok(f !== 'index.js' && !/^(codegenv\d|registry)/.test(f), `${f} was loaded`);
  // Unbundled, '@bufbuild/protobuf/wire' is an index of its own that loads to-binary and reflect/ with it;
  // the bundle keeps only what the writer and reader use.
  if (bundled) assert.deepEqual(protobuf.filter((f) => !f.startsWith('wire/') && f !== 'proto-int64.js'), []);
  assert.deepEqual(own.filter((m) => m.startsWith('protocol/gen/') || m === 'protocol/push-api-decode'), []);
});
