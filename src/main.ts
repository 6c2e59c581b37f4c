import { setFlagsFromString } from 'node:v8';
import { CommanderError } from 'commander';
import { buildProgram } from './cli.js';
import { EXIT } from './errors.js';

/** Wires the command line to the real process: streams, environment, clock, signals. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram({
    async push(inputs, opts) {
      // undici parses HTTP with llhttp in WebAssembly; V8's optimising tier-up compiles it on background
      // threads that Node waits for at exit (~80 ms here). Baseline code parses our few small answers
      // just as well, so a one-shot CLI skips the tier-up.
      setFlagsFromString('--liftoff-only');
      const { runPush } = await import('./run.js');
      process.exitCode = await runPush(inputs, opts, {
        stdout: process.stdout,
        stderr: process.stderr,
        stdin: { isTTY: process.stdin.isTTY === true, read: () => readAll(process.stdin) },
        env: process.env,
        now: Date.now,
      });
    },
    async receive(opts) {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        process.stderr.write(`error: --port "${opts.port}": expected a port number from 0 to 65535\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      const { startReceiver } = await import('./receive.js');
      const receiver = await startReceiver(opts.host, port, {
        ...(opts.out !== undefined && { outDir: opts.out }),
        ...(!opts.quiet && { onLine: (line: string) => process.stdout.write(`${line}\n`) }),
      }).catch((err: NodeJS.ErrnoException) => {
        process.stderr.write(`error: cannot listen on ${opts.host}:${port}: ${err.code === 'EADDRINUSE' ? 'address already in use (try --port 0)' : err.message}\n`);
        process.exitCode = EXIT.usage;
      });
      if (!receiver) return;
      process.stderr.write(`pyro-push receive: listening on ${receiver.url} (Ctrl-C to stop)\n`);
      const stop = () => void receiver.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
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
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
