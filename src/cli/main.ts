import { CommanderError } from 'commander';
import { EXIT, type ExitCode, INTERNAL_ERROR, PyroPushError } from '../errors.js';
import type { Io } from './io.js';
import { buildProgram } from './program.js';

/** The whole command line as a function: argv in, output on `io`, an exit code out. Never throws. */
export async function main(argv: string[], io: Io): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const program = buildProgram(
    {
      async push(inputs, opts) {
        const { runPush } = await import('./push-command.js');
        exitCode = await runPush(inputs, opts, io);
      },
      async inspect(files, opts) {
        // Loaded only for `inspect`: pprof-format and the plan, never undici or the protobuf runtime.
        const { runInspect } = await import('./inspect-command.js');
        exitCode = await runInspect(files, opts, io);
      },
      async receive(opts) {
        const { runReceive } = await import('./receive-command.js');
        exitCode = await runReceive(opts, io);
      },
    },
    { writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) },
  );
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (!(err instanceof CommanderError)) {
      io.stderr.write(`${INTERNAL_ERROR}: ${(err as Error)?.message ?? err}\n`);
      if (argv.includes('--verbose') || argv.includes('-v')) io.stderr.write(`${(err as Error)?.stack}\n`);
      return EXIT.internal;
    }
    // Commander has printed its message; --help and --version end with 0, any usage mistake with 2.
    if (err.exitCode !== 0 && argv.includes('--json')) {
      const { jsonReport } = await import('./render.js');
      io.stdout.write(`${jsonReport(undefined, [], [], [], new PyroPushError('USAGE', err.message.replace(/^error: /, '')))}\n`);
    }
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
}
