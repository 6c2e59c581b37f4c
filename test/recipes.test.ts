/**
 * The README's recipes (issue 8 §6) run as written, so that they cannot rot.
 *
 * Every fenced block in the README sections "Running from cron" and "In CI" starts with a line
 * `# recipe: <name>`; this file knows each name and fails on a block without one, on a name it does not
 * know and on a name it no longer finds: no block is skipped silently. A recipe is run with bash (the
 * crontab line with sh, as cron does) against a real local receiver; what a recipe points at (URL,
 * folders, the git remote) comes from the variables the recipe itself defines, which the test sets —
 * and the test fails if a recipe defines one it does not set. Cron and systemd cannot run here: the
 * crontab's command and the unit's ExecStart are run, the units are checked by `systemd-analyze verify`
 * when it exists, and by their keys always.
 *
 * Installing: the CI recipes run for real (npm ci, npm pack, npm install -g into an empty prefix) in a
 * copy of this working tree, never in it: `prepare` rebuilds dist/ and dist-bundle/, which other test
 * files running at the same time load.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { BIN, ROOT, SECRETS, fixture, tempDir } from './helpers.js';

const SECTIONS = ['Running from cron', 'In CI'];
const EXPECTED = ['crontab', 'github-actions', 'gitlab-ci', 'pyro-push.service', 'pyro-push.timer'];
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> | string; files?: string[] };
const TOKEN = SECRETS.token;
const NODE_DIR = dirname(process.execPath);
const SYSTEM_PATH = `${NODE_DIR}:/usr/local/bin:/usr/bin:/bin`;

interface Recipe {
  name: string;
  lang: string;
  body: string;
}

/** The fenced blocks of the README's recipe sections, by their `# recipe:` name. */
function readRecipes(): Map<string, Recipe> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const recipes = new Map<string, Recipe>();
  for (const title of SECTIONS) {
    const start = readme.indexOf(`\n## ${title}\n`);
    assert.ok(start >= 0, `README has no "## ${title}" section`);
    const end = readme.indexOf('\n## ', start + 1);
    const text = readme.slice(start, end === -1 ? undefined : end);
    for (const m of text.matchAll(/^```(\S*)\n([\s\S]*?)^```$/gm)) {
      const body = m[2] as string;
      const marker = /^# recipe: (\S+)\n/.exec(body);
      assert.ok(marker, `a block in "## ${title}" does not start with "# recipe: <name>":\n${body.slice(0, 200)}`);
      const name = marker[1] as string;
      assert.ok(!recipes.has(name), `two recipes named ${name}`);
      recipes.set(name, { name, lang: m[1] as string, body });
    }
  }
  return recipes;
}

function recipe(name: string): Recipe {
  const r = readRecipes().get(name);
  assert.ok(r, `README has no recipe ${name}`);
  return r;
}

/** A folder holding a `pyro-push` that runs this checkout's bin, to put first on a recipe's PATH. */
function wrapperDir(): string {
  const dir = tempDir('pyro-push-wrapper-');
  const path = join(dir, 'pyro-push');
  writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(path, 0o755);
  return dir;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], opts: { env: Record<string, string>; cwd?: string; timeoutMs?: number }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env, cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The variables a recipe defines must all be set by the test: none may keep pointing at /var or a real server. */
function overridden(defined: string[], overrides: Record<string, string>, what: string): void {
  for (const name of defined) assert.ok(name in overrides, `${what} defines ${name}, which the test does not set`);
}

/** Folders of dumps: copies of the fixtures, by name. */
function dumpFolder(files: Record<string, string>): string {
  const dir = tempDir('pyro-push-dumps-');
  for (const [name, from] of Object.entries(files)) writeFileSync(join(dir, name), readFileSync(from));
  return dir;
}

const spoolEntries = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json')) : []);

test('every block in "Running from cron" and "In CI" is a recipe this file runs', () => {
  assert.deepEqual([...readRecipes().keys()].sort(), EXPECTED);
});

describe('Running from cron', () => {
  interface Crontab {
    vars: Record<string, string>;
    schedule: string;
    command: string;
  }

  function parseCrontab(body: string): Crontab {
    const vars: Record<string, string> = {};
    const jobs: Array<{ schedule: string; command: string }> = [];
    for (const line of body.split('\n')) {
      if (line.trim() === '' || line.startsWith('#')) continue;
      const v = /^([A-Za-z_]\w*)=(.*)$/.exec(line);
      if (v) vars[v[1] as string] = v[2] as string;
      else {
        const job = /^((?:\S+\s+){4}\S+)\s+(.+)$/.exec(line);
        assert.ok(job, `not a crontab line: ${line}`);
        assert.ok(!(job[2] as string).includes('%'), 'cron turns % into a newline');
        jobs.push({ schedule: job[1] as string, command: job[2] as string });
      }
    }
    assert.equal(jobs.length, 1);
    return { vars, ...(jobs[0] as { schedule: string; command: string }) };
  }

  test('the crontab line: dumps sent and removed, a half-written dump skipped then sent, an outage spooled then flushed; exit 2, 1, 0', async () => {
    const cron = parseCrontab(recipe('crontab').body);
    assert.equal(cron.schedule, '*/5 * * * *');
    for (const flag of ['--spool-dir', '--remove-sent', '--deadline', '>> "$LOG" 2>&1']) assert.ok(cron.command.includes(flag), `the cron line has ${flag}`);
    const dumps = dumpFolder({ 'cpu-1.pb.gz': fixture('cpu.pb.gz'), 'heap-1.pb': fixture('heap.pb'), 'cpu-2.pb.gz': fixture('labelled.pb.gz'), 'cpu-3.pb.gz': fixture('bad/truncated.pb.gz') });
    const state = tempDir('pyro-push-cron-');
    let receiver: Receiver = await startReceiver('127.0.0.1', 0);
    const port = receiver.port;
    const env = (): Record<string, string> => {
      const vars = { PATH: `${wrapperDir()}:${cron.vars.PATH ?? ''}`, PYROSCOPE_URL: receiver.url, DUMPS: dumps, SPOOL: join(state, 'spool'), LOG: join(state, 'pyro-push.log') };
      overridden(Object.keys(cron.vars), vars, 'the crontab');
      // cron's own environment: HOME, SHELL, LOGNAME and the crontab's variables, nothing else.
      return { HOME: state, SHELL: '/bin/sh', LOGNAME: 'cron', ...vars };
    };
    const cronRun = () => run('/bin/sh', ['-c', cron.command], { env: env() });
    try {
      // 1. Three dumps and one still being written: the three go out and leave the folder; exit 2 says one was skipped.
      const first = await cronRun();
      assert.equal(first.code, 2, readFileSync(join(state, 'pyro-push.log'), 'utf8'));
      assert.equal(first.stdout + first.stderr, '', 'everything went to the log');
      assert.equal(receiver.received.length, 3);
      assert.deepEqual(new Set(receiver.received.map((p) => `${p.labels.service_name} ${p.labels.env}`)), new Set(['myapp prod']));
      assert.deepEqual(readdirSync(dumps), ['cpu-3.pb.gz'], 'the skipped dump stays for the next run');
      assert.deepEqual(spoolEntries(join(state, 'spool')), []);

      // 2. The dump is complete now, another came, and the server is down: both spooled, the folder empty, exit 1.
      writeFileSync(join(dumps, 'cpu-3.pb.gz'), readFileSync(fixture('cpu.pb.gz')));
      writeFileSync(join(dumps, 'heap-2.pb'), readFileSync(fixture('heap.pb')));
      await receiver.close();
      const second = await cronRun();
      assert.equal(second.code, 1);
      assert.deepEqual(readdirSync(dumps), []);
      assert.equal(spoolEntries(join(state, 'spool')).length, 2);

      // 3. The server is back (same URL): the spool goes first, then the new dump; all delivered, exit 0.
      receiver = await startReceiver('127.0.0.1', port);
      writeFileSync(join(dumps, 'cpu-4.pb.gz'), readFileSync(fixture('cpu.pb.gz')));
      const third = await cronRun();
      assert.equal(third.code, 0, readFileSync(join(state, 'pyro-push.log'), 'utf8'));
      assert.equal(receiver.received.length, 3);
      assert.deepEqual(readdirSync(dumps), []);
      assert.deepEqual(spoolEntries(join(state, 'spool')), []);

      const log = readFileSync(join(state, 'pyro-push.log'), 'utf8');
      assert.match(log, /^– .*cpu-3\.pb\.gz → .*: skipped: /m);
      assert.match(log, /^↻ .*heap-2\.pb → .*: spooled for a later run: /m);
      assert.match(log, /^pushed 3 profiles to 1 endpoint in /m);
      assert.equal((log.match(/^(pushed \d+ profiles?|\d+ of \d+ pushes not delivered) /gm) ?? []).length, 3, 'a summary per run');
    } finally {
      await receiver.close();
    }
  });

  interface Unit {
    sections: Map<string, Map<string, string[]>>;
  }

  function parseUnit(body: string): Unit {
    const sections = new Map<string, Map<string, string[]>>();
    let current: Map<string, string[]> | undefined;
    for (const line of body.replace(/\\\n\s*/g, ' ').split('\n')) {
      if (line.trim() === '' || /^[#;]/.test(line)) continue;
      const head = /^\[(\w+)\]$/.exec(line);
      if (head) {
        current = new Map();
        sections.set(head[1] as string, current);
        continue;
      }
      const kv = /^(\w+)=(.*)$/.exec(line);
      assert.ok(kv && current, `not a unit file line: ${line}`);
      current.set(kv[1] as string, [...(current.get(kv[1] as string) ?? []), kv[2] as string]);
    }
    return { sections };
  }

  const keys = (unit: Unit) => Object.fromEntries([...unit.sections].map(([name, s]) => [name, [...s.keys()].sort()]));

  test('the systemd units: the expected keys, systemd-analyze verify (when present), and the ExecStart delivers and spools', async () => {
    const serviceText = recipe('pyro-push.service').body;
    const timerText = recipe('pyro-push.timer').body;
    const service = parseUnit(serviceText);
    const timer = parseUnit(timerText);
    assert.deepEqual(keys(service), {
      Unit: ['After', 'Description', 'Wants'],
      Service: ['Environment', 'ExecStart', 'StateDirectory', 'TimeoutStartSec', 'Type', 'User'],
    });
    assert.deepEqual(keys(timer), { Unit: ['Description'], Timer: ['OnCalendar', 'Persistent', 'RandomizedDelaySec'], Install: ['WantedBy'] });
    const svc = service.sections.get('Service') as Map<string, string[]>;
    assert.deepEqual(svc.get('Type'), ['oneshot']);
    assert.deepEqual(timer.sections.get('Install')?.get('WantedBy'), ['timers.target']);
    const [execStart] = svc.get('ExecStart') as [string];
    const [program, ...args] = execStart.split(/\s+/);
    assert.equal(program, '/usr/local/bin/pyro-push', 'where npm install -g puts it');

    const wrapper = wrapperDir();
    // systemd-analyze checks what systemd itself would refuse (unknown keys, a bad OnCalendar, a missing
    // binary): given the units as written, the binary pointed at this checkout's.
    const analyze = await run('/bin/sh', ['-c', 'command -v systemd-analyze'], { env: { PATH: SYSTEM_PATH } });
    if (analyze.code === 0) {
      const units = tempDir('pyro-push-units-');
      writeFileSync(join(units, 'pyro-push.service'), serviceText.replace(program, join(wrapper, 'pyro-push')));
      writeFileSync(join(units, 'pyro-push.timer'), timerText);
      const verify = await run(analyze.stdout.trim(), ['verify', join(units, 'pyro-push.service'), join(units, 'pyro-push.timer')], { env: { PATH: SYSTEM_PATH, SYSTEMD_LOG_COLOR: '0' }, cwd: units });
      assert.equal(verify.code, 0, verify.stderr);
      const complaints = verify.stderr.split('\n').filter((l) => l.includes('pyro-push.'));
      assert.deepEqual(complaints, [], verify.stderr);
    } else console.log('# systemd-analyze not found: the units were checked by their keys only');

    const receiver = await startReceiver('127.0.0.1', 0);
    const dumps = dumpFolder({ 'a.pb.gz': fixture('cpu.pb.gz'), 'b.pb': fixture('heap.pb') });
    const state = tempDir('pyro-push-state-');
    try {
      const environment = Object.fromEntries((svc.get('Environment') ?? []).map((e) => e.split(/=(.*)/s).slice(0, 2) as [string, string]));
      const vars = { PYROSCOPE_URL: receiver.url, DUMPS: dumps };
      overridden(Object.keys(environment), vars, 'the service');
      // What systemd would run: ${VAR} from Environment= and STATE_DIRECTORY (from StateDirectory=).
      const execRun = () => run('bash', ['-c', ['pyro-push', ...args].join(' ')], { env: { PATH: `${wrapper}:${SYSTEM_PATH}`, STATE_DIRECTORY: state, ...vars } });
      const first = await execRun();
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.equal(receiver.received.length, 2);
      assert.deepEqual(readdirSync(dumps), []);
      assert.match(first.stdout, /^pushed 2 profiles to 1 endpoint in /m);

      await receiver.close();
      writeFileSync(join(dumps, 'c.pb.gz'), readFileSync(fixture('cpu.pb.gz')));
      const down = await execRun();
      assert.equal(down.code, 1);
      assert.deepEqual(readdirSync(dumps), []);
      assert.equal(spoolEntries(join(state, 'spool')).length, 1, 'spooled under $STATE_DIRECTORY');
    } finally {
      await receiver.close();
    }
  });
});

/**
 * A copy of this working tree as a checkout would have it: the files git knows or would add (tracked and
 * not ignored), as they are now — no node_modules, dist, dist-bundle, tarballs or anyone's scratch files.
 */
async function copyCheckout(dest: string): Promise<string> {
  const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { env: { PATH: SYSTEM_PATH, HOME: process.env.HOME ?? ROOT } });
  assert.equal(listed.code, 0, listed.stderr);
  for (const rel of listed.stdout.split('\0')) {
    const from = join(ROOT, rel);
    if (rel === '' || !existsSync(from) || !lstatSync(from).isFile()) continue;
    mkdirSync(dirname(join(dest, rel)), { recursive: true });
    copyFileSync(from, join(dest, rel));
  }
  return dest;
}

/** The environment a CI runner gives a job: a clean one, npm's global prefix in an empty folder. */
function ciEnv(work: string, extra: Record<string, string>): Record<string, string> {
  const prefix = join(work, '..', 'npm-global');
  mkdirSync(prefix, { recursive: true });
  return {
    PATH: `${join(prefix, 'bin')}:${SYSTEM_PATH}`,
    HOME: process.env.HOME ?? work,
    npm_config_prefix: prefix,
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

/** Two profiles where a benchmark step would have written them. */
function workspace(): string {
  const work = join(tempDir('pyro-push-ci-'), 'workspace');
  mkdirSync(join(work, 'profiles'), { recursive: true });
  writeFileSync(join(work, 'profiles', 'cpu.pprof'), readFileSync(fixture('cpu.pb.gz')));
  writeFileSync(join(work, 'profiles', 'heap.pprof'), readFileSync(fixture('heap.pb')));
  return work;
}

function assertUploaded(receiver: Receiver, sha: string, branch: string): void {
  assert.equal(receiver.received.length, 2);
  for (const p of receiver.received) {
    assert.deepEqual([p.labels.service_name, p.labels.git_sha, p.labels.branch], ['api', sha, branch]);
    assert.equal(p.headers.authorization, `Bearer ${TOKEN}`);
  }
}

/**
 * Real installs cost ~40 s of a 2-core machine (npm ci and npm pack each build): they run in CI (CI=true,
 * as .ci/run is called) and on request (PYRO_PUSH_INSTALL_TESTS=1), so that a local `npm test` stays fast.
 */
const installs = process.env.CI === 'true' || process.env.PYRO_PUSH_INSTALL_TESTS === '1';

describe('In CI (npm ci, npm pack, npm install -g into an empty prefix: real installs, from the npm cache when it can)', { concurrency: true, skip: !installs && 'real installs run with CI=true or PYRO_PUSH_INSTALL_TESTS=1' }, () => {
  test('GitHub Actions: the steps run in order, the installed pyro-push uploads the profiles', async () => {
    const steps = parseYaml(recipe('github-actions').body) as Array<{ uses?: string; with?: Record<string, unknown>; name?: string; env?: Record<string, string>; run?: string }>;
    const work = workspace();
    const receiver = await startReceiver('127.0.0.1', 0);
    const overrides = { PYROSCOPE_URL: receiver.url, PYROSCOPE_BEARER_TOKEN: TOKEN };
    const env = ciEnv(work, { GITHUB_WORKSPACE: work, GITHUB_SHA: 'c0ffee1234', GITHUB_REF_NAME: 'main', RUNNER_TEMP: join(work, '..') });
    const ran: string[] = [];
    try {
      for (const step of steps) {
        if (step.uses?.startsWith('actions/checkout@')) {
          // A second repository checked out beside the project: here, this working tree.
          assert.ok(step.with?.repository && typeof step.with.path === 'string', 'checks out pyro-push into a folder of its own');
          await copyCheckout(join(work, step.with.path as string));
          ran.push('checkout');
        } else if (step.uses?.startsWith('actions/setup-node@')) {
          assert.equal(step.with?.['node-version'], 20);
          ran.push('setup-node');
        } else {
          assert.ok(step.run !== undefined && step.uses === undefined, `a step this test cannot run: ${JSON.stringify(step)}`);
          assert.ok(!step.run.includes('${{'), 'run: scripts read the runner environment, not ${{ }} expressions');
          overridden(Object.keys(step.env ?? {}), overrides, `step "${step.name}"`);
          // GitHub's default shell for run: bash --noprofile --norc -eo pipefail.
          const r = await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], { env: { ...env, ...overrides }, cwd: work, timeoutMs: 120_000 });
          assert.equal(r.code, 0, `step "${step.name}":\n${r.stdout}\n${r.stderr}`);
          ran.push(step.name ?? 'run');
        }
      }
      assert.deepEqual(ran, ['checkout', 'setup-node', 'Install pyro-push', 'Upload profiles']);
      assertUploaded(receiver, 'c0ffee1234', 'main');
      assert.ok(existsSync(join(env.npm_config_prefix as string, 'bin', 'pyro-push')), 'installed globally, in the prefix');
    } finally {
      await receiver.close();
    }
  });

  test('GitLab CI: the job script clones, builds, installs and uploads; exit 1 is allowed to fail', async () => {
    const job = (parseYaml(recipe('gitlab-ci').body) as Record<string, { image: string; variables: Record<string, string>; script: string[]; allow_failure: { exit_codes: number[] } }>)['upload-profiles'];
    assert.ok(job);
    assert.match(job.image, /^node:2\d/);
    assert.deepEqual(job.allow_failure, { exit_codes: [1] });
    const work = workspace();
    // The repository to clone: a git repository made of a copy of this working tree.
    const repo = await copyCheckout(join(work, '..', 'pyro-push.git'));
    const gitEnv = { PATH: SYSTEM_PATH, HOME: repo, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
    for (const args of [['init', '-q'], ['add', '-A'], ['commit', '-q', '-m', 'snapshot']]) assert.equal((await run('git', args, { env: gitEnv, cwd: repo })).code, 0);
    const receiver = await startReceiver('127.0.0.1', 0);
    const variables = { PYROSCOPE_URL: receiver.url, PYRO_PUSH_GIT: `file://${repo}` };
    overridden(Object.keys(job.variables), variables, 'the job');
    try {
      const env = ciEnv(work, { ...variables, PYROSCOPE_BEARER_TOKEN: TOKEN, CI_PROJECT_DIR: work, CI_COMMIT_SHA: 'beef5678', CI_COMMIT_REF_NAME: 'feature-x' });
      // The runner runs the script's lines in one shell, stopping at the first that fails.
      const r = await run('bash', ['-eo', 'pipefail', '-c', job.script.join('\n')], { env, cwd: work, timeoutMs: 120_000 });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assertUploaded(receiver, 'beef5678', 'feature-x');
    } finally {
      await receiver.close();
    }
  });

  test('npm pack, then npm install of the tarball into an empty prefix: a working pyro-push (bin and library)', async () => {
    const base = tempDir('pyro-push-pack-');
    const src = await copyCheckout(join(base, 'src'));
    // Packing only builds: the checkout's own node_modules serve (nothing is installed into them).
    symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
    const env = { PATH: SYSTEM_PATH, HOME: process.env.HOME ?? base, npm_config_update_notifier: 'false' };
    mkdirSync(join(base, 'out'));
    const pack = await run('npm', ['pack', '--pack-destination', join(base, 'out'), '--json'], { env, cwd: src, timeoutMs: 120_000 });
    assert.equal(pack.code, 0, `npm pack failed (the build, or package.json "files"/"bin"):\n${pack.stdout}\n${pack.stderr}`);
    const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')) || '[]') as Array<{ filename: string; files: Array<{ path: string }> }>;
    assert.ok(packed);
    const inTarball = new Set(packed.files.map((f) => f.path));
    const pkg = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as typeof PKG;
    const bins = typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : pkg.bin;
    for (const path of Object.values(bins)) assert.ok(inTarball.has(path.replace(/^\.\//, '')), `the bin ${path} is in the tarball`);

    const prefix = join(base, 'prefix');
    mkdirSync(prefix);
    const install = await run('npm', ['install', '--prefix', prefix, join(base, 'out', packed.filename), '--no-audit', '--no-fund', '--prefer-offline'], { env, cwd: base, timeoutMs: 120_000 });
    assert.equal(install.code, 0, install.stdout + install.stderr);
    const bin = join(prefix, 'node_modules', '.bin', 'pyro-push');
    const version = await run(bin, ['--version'], { env, cwd: base });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), pkg.version);

    const receiver = await startReceiver('127.0.0.1', 0);
    try {
      const pushed = await run(bin, [fixture('cpu.pb.gz'), '--url', receiver.url, '--service-name', 'packed'], { env, cwd: base });
      assert.equal(pushed.code, 0, pushed.stdout + pushed.stderr);
      assert.equal(receiver.received.length, 1);
      assert.equal(receiver.received[0]?.labels.service_name, 'packed');
      // The library too, by its package name, from the installed package alone.
      const lib = await run(process.execPath, ['--input-type=module', '-e', "const m = await import('pyro-push'); console.log(typeof m.push, typeof m.startReceiver)"], { env, cwd: prefix });
      assert.equal(lib.stdout.trim(), 'function function', lib.stderr);
    } finally {
      await receiver.close();
    }
  });
});
