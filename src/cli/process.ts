import { isatty } from 'node:tty';
import { setFlagsFromString } from 'node:v8';
import { RunStopped } from '../errors.js';
import { readStream } from '../stream.js';
import { main } from './main.js';

/** The one place that touches the process: streams, environment, signals, the exit code (V8's start-up flags are bin/'s). */
export async function runAsProcess(): Promise<void> {
  // A reader that goes away (`pyro-push … | head -1`) must not stop the pushes still under way.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stop.signal.aborted) return stop.abort(new RunStopped('interrupted', signal));
    // A second Ctrl-C: stop at once, by the signal's own default action.
    process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
    process.kill(process.pid, signal);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    process.exitCode = await main(process.argv, {
      stdout: process.stdout,
      stderr: process.stderr,
      // isatty(0) rather than process.stdin.isTTY: that getter builds the stdin stream (1–2.5 ms), which only `-` reads.
      stdin: { isTTY: isatty(0), read: async (signal) => (await readStream(process.stdin, signal && { signal })).bytes },
      env: process.env,
      now: Date.now,
      signal: stop.signal,
      process: { pid: process.pid, isAlive },
      // V8 lets the old generation grow to ~4× what is live between full collections. A run of many
      // inputs allocates briskly and keeps little, so its peak RSS would grow with their number (20 000
      // files: ~155 instead of ~101 MiB); this flag, read at every collection, keeps the heap near what is
      // live. It costs 5–11 % of the time, which a short run is better without. (A code cache written by
      // such a run is made under this flag and is made again by the next run: once.)
      preferSmallHeap: () => setFlagsFromString('--optimize-for-size'),
    });
  } finally {
    process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
  }
}

/** Signal 0 asks only whether the process exists; EPERM means it does, under another user. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
