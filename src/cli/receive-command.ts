import { EXIT, type ExitCode } from '../errors.js';
import { startReceiver } from '../receiver/receiver.js';
import type { Io } from './io.js';
import type { ReceiveOptions } from './program.js';

/** `pyro-push receive`: listens until `io.signal` aborts; the exit code is 2 for a bad port or one in use. */
export async function runReceive(opts: ReceiveOptions, io: Pick<Io, 'stdout' | 'stderr' | 'signal' | 'tuneV8'>): Promise<ExitCode> {
  // A server answers requests for as long as it runs: V8's own tier-up budget, not a short run's.
  io.tuneV8?.manyRequests();
  if (!/^\d{1,5}$/.test(opts.port) || Number(opts.port) > 65535) {
    io.stderr.write(`error: --port "${opts.port}": expected a port number from 0 to 65535\n`);
    return EXIT.usage;
  }
  const port = Number(opts.port);
  let receiver;
  try {
    receiver = await startReceiver(opts.host, port, {
      keepReceived: false,
      ...(opts.out !== undefined && { outDir: opts.out }),
      ...(!opts.quiet && { onLine: (line: string) => io.stdout.write(`${line}\n`) }),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    io.stderr.write(`error: cannot listen on ${opts.host}:${port}: ${e.code === 'EADDRINUSE' ? 'address already in use (try --port 0)' : e.message}\n`);
    return EXIT.usage;
  }
  io.stderr.write(`pyro-push receive: listening on ${receiver.url} (Ctrl-C to stop)\n`);
  await new Promise((resolve) => (io.signal.aborted ? resolve(undefined) : io.signal.addEventListener('abort', resolve, { once: true })));
  await receiver.close();
  return EXIT.ok;
}
