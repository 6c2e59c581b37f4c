import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BIN, ROOT, fixture } from './helpers.js';

/**
 * The launcher as published, next to the same bundle unminified (scripts/bundle.ts with
 * PYRO_PUSH_READABLE_BUNDLE): there esbuild's lazy wrappers (`__esm`, `__commonJS`) are methods named
 * after their module's path, so V8's coverage says which modules' code ran. A module that did not run
 * was not initialised, whatever else the bundle holds.
 */
const PKG = mkdtempSync(join(tmpdir(), 'pyro-push-startup-'));
const PKG_BUNDLE = join(PKG, 'dist-bundle/cli.cjs');
const PKG_BIN = join(PKG, 'bin/pyro-push.cjs');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

before(() => {
  mkdirSync(join(PKG, 'bin'));
  for (const f of ['bin/pyro-push.cjs', 'bin/v8-flags.cjs', 'package.json']) copyFileSync(join(ROOT, f), join(PKG, f));
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bundle.ts'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PYRO_PUSH_READABLE_BUNDLE: join(PKG, 'dist-bundle') } });
  assert.equal(build.status, 0, build.stderr);
});
after(() => rmSync(PKG, { recursive: true, force: true }));

interface Loaded {
  code: number | null;
  stdout: string;
  /** Whether V8 compiled the bundle at all. */
  bundle: boolean;
  /** Bundled modules whose code ran: `undici/lib/dispatcher/agent.js`, `src/cli/main.ts`. */
  ran: string[];
  /** Packages among them. */
  packages: Set<string>;
  /** Node's built-ins the process loaded (`http2`, `tls`), as test/load-spy.mjs reports them. */
  builtins: string[];
}

function loaded(args: string[], env: Record<string, string> = {}): Loaded {
  const coverage = mkdtempSync(join(tmpdir(), 'pyro-push-coverage-'));
  try {
    // No code cache: the modules a command runs do not depend on it, and V8's coverage starts clean.
    const run = spawnSync(process.execPath, ['--import', join(ROOT, 'test/load-spy.mjs'), PKG_BIN, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', NODE_V8_COVERAGE: coverage, PYRO_PUSH_NO_CODE_CACHE: '1', ...env },
    });
    const builtins = JSON.parse(/^BUILTINS (.*)$/m.exec(run.stderr)?.[1] ?? 'null') as string[] | null;
    assert.ok(builtins, `the spy works: ${run.stderr}`);
    const scripts = readdirSync(coverage).flatMap((f) => (JSON.parse(readFileSync(join(coverage, f), 'utf8')) as Coverage).result);
    const bundle = scripts.find((s) => s.url === pathToFileURL(PKG_BUNDLE).href);
    const ran = (bundle?.functions ?? [])
      .filter((f) => (f.ranges[0]?.count ?? 0) > 0)
      .map((f) => /(?:^|\/)node_modules\/(.+)$/.exec(f.functionName)?.[1] ?? (/^src\/.+\.ts$/.test(f.functionName) ? f.functionName : undefined))
      .filter((m): m is string => m !== undefined);
    const packages = new Set(ran.filter((m) => !m.startsWith('src/')).map((m) => m.split('/').slice(0, m.startsWith('@') ? 2 : 1).join('/')));
    return { code: run.status, stdout: run.stdout, bundle: bundle !== undefined, ran, packages, builtins };
  } finally {
    rmSync(coverage, { recursive: true, force: true });
  }
}
type Coverage = { result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[] };

const HEAVY = ['undici', 'ora', 'yaml', '@bufbuild/protobuf', 'pprof-format'];
/** Built-ins that only a connection needs (tls, http2) or nothing does (child_process: commander's subcommand executables). */
const HEAVY_BUILTINS = ['http2', 'tls', 'child_process'];

test('--version alone is answered by the launcher without compiling the bundle, as commander answers it', () => {
  const alone = loaded(['--version']);
  assert.deepEqual([alone.code, alone.stdout, alone.bundle], [0, `${VERSION}\n`, false]);
  assert.deepEqual(loaded(['-V']).stdout, `${VERSION}\n`);
  const commander = loaded(['-V', '--verbose']); // not alone: commander answers, from the bundle
  assert.ok(commander.packages.has('commander'), 'the spy sees the bundle');
  assert.deepEqual([commander.code, commander.stdout], [0, alone.stdout]);
});

for (const args of [['--help'], ['receive', '--help'], ['-V', '--verbose']])
  test(`${args.join(' ')} runs none of ${HEAVY.join(', ')} and loads none of ${HEAVY_BUILTINS.join(', ')}`, () => {
    const { code, packages, builtins } = loaded(args);
    assert.equal(code, 0);
    assert.ok(packages.has('commander'), 'the spy works');
    for (const heavy of HEAVY) assert.ok(!packages.has(heavy), `${heavy} ran`);
    for (const b of HEAVY_BUILTINS) assert.ok(!builtins.includes(b), `node:${b} was loaded`);
  });

test("a push runs neither yaml (no --config), ora (no TTY), undici's index (fetch, WebSocket…), protobuf's runtime nor the generated messages, and loads neither http2 nor tls", () => {
  const { ran, packages, builtins } = loaded([fixture('cpu.pb.gz'), '--url', 'http://127.0.0.1:1', '--max-attempts', '1']);
  assert.ok(ran.includes('undici/lib/dispatcher/agent.js'), 'the spy sees the push');
  assert.ok(!ran.includes('undici/index.js'));
  assert.ok(!ran.some((f) => f.startsWith('undici/lib/web/')), 'no fetch or WebSocket');
  assert.ok(!packages.has('yaml'));
  assert.ok(!packages.has('ora'));
  // The PushRequest is written with the wire writer: no descriptors booted, no reflection index.
  const protobuf = ran.filter((f) => f.startsWith('@bufbuild/protobuf/')).map((f) => f.replace(/^@bufbuild\/protobuf\/dist\/(esm|cjs)\//, ''));
  assert.ok(protobuf.some((f) => f.startsWith('wire/')), 'the wire writer runs');
  // The wire index runs every wire/ module it imports; text-format.js brings descriptors.js's enums.
  assert.deepEqual(protobuf.filter((f) => !f.startsWith('wire/') && f !== 'proto-int64.js' && f !== 'descriptors.js'), []);
  assert.deepEqual(ran.filter((m) => m.startsWith('src/protocol/gen/') || m === 'src/protocol/push-api-decode.ts'), []);
  // undici's client-h2.js runs, but node:http2 waits for --http2 (scripts/bundle.ts makes it lazy).
  assert.ok(ran.includes('undici/lib/dispatcher/client-h2.js'));
  for (const b of HEAVY_BUILTINS) assert.ok(!builtins.includes(b), `node:${b} was loaded`);
});

test('a push with a YAML --config runs yaml: what the spy does not see did not run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pyro-push-startup-yaml-'));
  try {
    writeFileSync(join(dir, 'c.yaml'), 'url: http://127.0.0.1:1\n');
    const { packages } = loaded([fixture('cpu.pb.gz'), '--config', join(dir, 'c.yaml'), '--max-attempts', '1']);
    assert.ok(packages.has('yaml'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The published launcher with the code cache under `cacheHome`, as XDG_CACHE_HOME. */
function cached(cacheHome: string, args = ['--help'], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', XDG_CACHE_HOME: cacheHome, ...env } });
  const dir = join(cacheHome, 'pyro-push');
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, files: existsSync(dir) ? readdirSync(dir) : [] };
}

test('the code cache is written once, then used; a broken one is replaced; none is ever an error', () => {
  const home = mkdtempSync(join(tmpdir(), 'pyro-push-cache-'));
  try {
    const first = cached(home);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.files, [`cli-${VERSION}-${process.version}-${process.arch}.v8cache`]);
    const file = join(home, 'pyro-push', first.files[0] as string);
    const written = readFileSync(file);
    assert.deepEqual(cached(home), first);
    assert.ok(readFileSync(file).equals(written), 'an accepted cache is not rewritten by a run of the same kind');
    // A push replaces a cache that another command made: its functions are the ones worth keeping.
    assert.match(written.toString('latin1', 0, written.indexOf(10)), / other$/);
    cached(home, [fixture('cpu.pb.gz'), '--url', 'http://127.0.0.1:1', '--max-attempts', '1', '--service-name', 'a']);
    const pushed = readFileSync(file);
    assert.match(pushed.toString('latin1', 0, pushed.indexOf(10)), / push$/);
    // A push changes V8's flags as it runs (cli/v8-tuning.ts); the cache it made is still accepted.
    cached(home, [fixture('cpu.pb.gz'), '--url', 'http://127.0.0.1:1', '--max-attempts', '1', '--service-name', 'a']);
    assert.ok(readFileSync(file).equals(pushed), 'a push accepts the cache a push made');
    // The right key with bytes V8 rejects: the run is the same, and the cache is written anew.
    writeFileSync(file, Buffer.concat([pushed.subarray(0, pushed.indexOf(10) + 1), Buffer.alloc(1000, 7)]));
    assert.deepEqual(cached(home), first);
    assert.ok(readFileSync(file).length > 1001);
    // A cache for another bundle (another size or mtime) is not used, and is replaced.
    writeFileSync(file, Buffer.concat([Buffer.from('1-2 push\n'), pushed.subarray(pushed.indexOf(10) + 1)]));
    assert.deepEqual(cached(home), first);
    assert.ok(!readFileSync(file).subarray(0, 9).equals(Buffer.from('1-2 push\n')));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a cache folder that cannot be made costs nothing but time; PYRO_PUSH_NO_CODE_CACHE=1 writes none', () => {
  const home = mkdtempSync(join(tmpdir(), 'pyro-push-cache-'));
  try {
    writeFileSync(join(home, 'file'), '');
    const blocked = cached(join(home, 'file')); // pyro-push/ would be under a file: ENOTDIR, as read-only homes fail
    assert.deepEqual([blocked.code, blocked.stderr, blocked.files], [0, '', []]);
    const off = cached(home, ['--help'], { PYRO_PUSH_NO_CODE_CACHE: '1' });
    assert.deepEqual([off.code, off.stdout, off.files], [0, blocked.stdout, []]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a code cache made after the CLI tuned V8 is taken by the next run, or not made at all (bin/v8-flags.cjs#asAtStart)', () => {
  // V8 tags a cache with its flags. Each case is a process that starts as the launcher does, changes the
  // flags as a long run does, asks asAtStart whether a cache made now would be taken, and makes one; a
  // fresh process started the same way says whether it takes it.
  const dir = mkdtempSync(join(tmpdir(), 'pyro-push-flags-'));
  const tuning = JSON.stringify(pathToFileURL(join(ROOT, 'src/cli/v8-tuning.ts')).href);
  const flags = JSON.stringify(join(ROOT, 'bin/v8-flags.cjs'));
  const source = 'function f(a) { return a + 1 } f(1);';
  let n = 0;
  const run = (opts: { tune: boolean; putBack: boolean; nodeOptions?: string }) => {
    const cache = join(dir, `cache-${n++}`);
    const env = { ...process.env, NODE_OPTIONS: opts.nodeOptions ?? '' };
    const make = `
      import { createRequire } from 'node:module'; import { setFlagsFromString } from 'node:v8'; import { writeFileSync } from 'node:fs'; import vm from 'node:vm';
      const { asAtStart } = createRequire(import.meta.url)(${flags});
      const { V8_TUNING } = await import(${tuning});
      if (${opts.tune}) {
        setFlagsFromString('--semi-space-growth-factor=1'); // capYoungGeneration's
        V8_TUNING.manyInputs();
        V8_TUNING.manyRequests();
      }
      const said = ${opts.putBack} ? asAtStart() : undefined;
      const script = new vm.Script(${JSON.stringify(source)}, { filename: 'x.js' });
      script.runInThisContext();
      writeFileSync(${JSON.stringify(cache)}, script.createCachedData());
      process.stdout.write(String(said));`;
    const made = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', make], { encoding: 'utf8', env });
    assert.equal(made.status, 0, made.stderr);
    const check = `
      require(${flags});
      const vm = require('node:vm');
      const script = new vm.Script(${JSON.stringify(source)}, { filename: 'x.js', cachedData: require('node:fs').readFileSync(${JSON.stringify(cache)}) });
      process.stdout.write(String(!script.cachedDataRejected));`;
    const taken = spawnSync(process.execPath, ['-e', check], { encoding: 'utf8', env });
    assert.equal(taken.status, 0, taken.stderr);
    return { said: made.stdout, taken: taken.stdout === 'true' };
  };
  try {
    assert.deepEqual(run({ tune: true, putBack: true }), { said: 'true', taken: true });
    // Not put back: the next run rejects the cache (the case that proves the check).
    assert.deepEqual(run({ tune: true, putBack: false }), { said: 'undefined', taken: false });
    // A semi-space size from NODE_OPTIONS cannot be read back once --optimize-for-size changed it: no cache then.
    assert.equal(run({ tune: true, putBack: true, nodeOptions: '--max-semi-space-size=16' }).said, 'false');
    // A short run leaves it as the user gave it, and its cache is taken.
    assert.deepEqual(run({ tune: false, putBack: true, nodeOptions: '--max-semi-space-size=16' }), { said: 'true', taken: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
