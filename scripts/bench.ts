/**
 * `npm run bench`: start-up, one push, and a thousand files in one run, against a local receiver.
 * Times are medians of several runs; memory is the peak RSS that /usr/bin/time reports.
 * Numbers only — nothing here passes or fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/pyro-push.js');
const fixture = (n: string) => join(root, 'fixtures', n);
const hasTime = existsSync('/usr/bin/time');

function measure(args: string[], runs: number): { ms: number; rssMiB: number } {
  const times: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const cmd = hasTime ? ['/usr/bin/time', '-f', '%M', process.execPath, ...args] : [process.execPath, ...args];
    const t0 = performance.now();
    const run = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8' });
    times.push(performance.now() - t0);
    if (run.status !== 0) throw new Error(`${args.join(' ')} exited ${run.status}: ${run.stderr.slice(-500)}`);
    if (hasTime) rss = Math.max(rss, Number(run.stderr.trim().split('\n').at(-1)) / 1024);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] as number, rssMiB: rss };
}

// A separate process: spawnSync below blocks this one's event loop.
const child = spawn(process.execPath, [bin, 'receive', '--port', '0', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
const receiver = {
  url: await new Promise<string>((resolve) =>
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      const m = /listening on (http:\/\/\S+)/.exec(d);
      if (m) resolve(m[1] as string);
    }),
  ),
};
const many = mkdtempSync(join(tmpdir(), 'pyro-push-bench-'));
for (let i = 0; i < 1000; i++) copyFileSync(fixture(i % 2 ? 'cpu.pb.gz' : 'heap.pb'), join(many, `p${String(i).padStart(4, '0')}.pb`));

const rows: Array<[string, { ms: number; rssMiB: number }]> = [
  ['node -e 0 (baseline)', measure(['-e', '0'], 15)],
  ['pyro-push --version', measure([bin, '--version'], 15)],
  ['pyro-push --help', measure([bin, '--help'], 15)],
  ['one push (cpu.pb.gz)', measure([bin, fixture('cpu.pb.gz'), '--url', receiver.url, '--service-name', 'bench', '-q'], 15)],
  ['1000 files, one run', measure([bin, many, '--url', receiver.url, '--service-name', 'bench', '-q'], 3)],
  ['1000 files, 2 endpoints', measure([bin, many, '--url', receiver.url, '--url', receiver.url.replace('127.0.0.1', 'localhost'), '--service-name', 'bench', '-q'], 3)],
];
child.kill('SIGTERM');

console.log('| what | median wall time | peak RSS |');
console.log('|---|---|---|');
for (const [name, m] of rows) console.log(`| ${name} | ${m.ms.toFixed(0)} ms | ${hasTime ? `${m.rssMiB.toFixed(0)} MiB` : 'n/a'} |`);
