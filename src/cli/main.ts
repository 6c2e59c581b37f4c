import { setFlagsFromString } from 'node:v8';
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { EXIT, PyroPushError } from '../errors.js';

/** Wires the command line to the real process: streams, environment, clock, stdin, signals. */
export async function main(argv: string[]): Promise<void> {
  // A reader that goes away (`pyro-push … | head -1`) must not stop the pushes still under way.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  const program = buildProgram({
    async push(inputs, opts) {
      // undici parses HTTP with llhttp in WebAssembly; V8's optimising tier-up compiles it on background
      // threads that Node waits for at exit (~80 ms here). Baseline code parses our few small answers
      // just as well, so a one-shot CLI skips the tier-up. Set before undici loads, never changed after.
      setFlagsFromString('--liftoff-only');
      const { runPush } = await import('./push-command.js');
      process.exitCode = await runPush(inputs, opts, {
        stdout: process.stdout,
        stderr: process.stderr,
        stdin: { isTTY: process.stdin.isTTY === true, read: () => readAll(process.stdin) },
        env: process.env,
        now: Date.now,
      });
    },
    async receive(opts) {
      const { runReceive } = await import('./receive-command.js');
      const stop = new Promise((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      process.exitCode = await runReceive(opts, process, stop);
    },
  });
  program.exitOverride();
  for (const sub of program.commands) sub.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // Commander has printed its message; --help and --version end with 0, any usage mistake with 2.
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err.exitCode !== 0 && argv.includes('--json')) {
      const { jsonReport } = await import('./render.js');
      process.stdout.write(`${jsonReport(undefined, [], [], [], new PyroPushError('USAGE', err.message.replace(/^error: /, '')))}\n`);
    }
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
