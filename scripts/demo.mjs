// `npm run demo`: the quick start's real push. Starts `pyro-push receive` on a free port, pushes the
// project's own fixtures into it with the real bin, shows both sides, and stops the receiver.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/pyro-push.cjs', import.meta.url));
const fixtures = (name) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

const receiver = spawn(process.execPath, [bin, 'receive', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
receiver.stdout.on('data', (d) => process.stdout.write(`[receiver] ${d}`));
const url = await new Promise((resolve, reject) => {
  receiver.stderr.setEncoding('utf8').on('data', (d) => {
    process.stderr.write(`[receiver] ${d}`);
    const m = /listening on (http:\/\/\S+)/.exec(d);
    if (m) resolve(m[1]);
  });
  receiver.on('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
});
const args = [bin, fixtures('cpu.pb.gz'), fixtures('heap.pb'), '--url', url, '--service-name', 'demo', '--label', 'env=dev'];
console.log(`$ pyro-push ${args.slice(1).join(' ')}`);
const push = spawn(process.execPath, args, { stdio: 'inherit' });
const code = await new Promise((resolve) => push.on('exit', resolve));
await new Promise((resolve) => setTimeout(resolve, 100));
receiver.kill('SIGTERM');
process.exitCode = code ?? 1;
