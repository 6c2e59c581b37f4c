import { isatty } from 'node:tty';
import { RunStopped } from '../errors.js';
import { readStream } from '../stream.js';
import { main } from './main.js';
import { V8_TUNING, capYoungGeneration } from './v8-tuning.js';

/** The one place that touches the process: streams, environment, signals, the exit code (V8's start-up flags are bin/'s). */
export async function runAsProcess(): Promise<void> {
  capYoungGeneration();
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
      tuneV8: V8_TUNING,
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
