import { setFlagsFromString } from 'node:v8';
import { isatty } from 'node:tty';
import { RunStopped } from '../errors.js';
import { readStream } from '../stream.js';
import { main } from './main.js';

/** The one place that touches the process: streams, environment, signals, the exit code. */
export async function runAsProcess(): Promise<void> {
  // undici parses HTTP with llhttp in WebAssembly; V8's optimising tier-up compiles it on background
  // threads that Node waits for at exit (~80 ms here). Baseline code parses our few small answers
  // just as well, so a one-shot CLI skips the tier-up. Set before undici loads, never changed after.
  setFlagsFromString('--liftoff-only');
  // V8's heap sizing suits long-lived servers: the young generation doubles under a brisk allocation rate
  // and the old one may grow to 4× what is live between full collections. A bulk push allocates briskly
  // and keeps little, so its peak RSS grew with the number of inputs (1 000 → 20 000 files: 75 → 160 MiB).
  // Both are read at each collection, so setting them here is enough; they cost no time measurable in
  // `npm run bench` (2–4 %, within its noise).
  setFlagsFromString('--optimize-for-size');
  setFlagsFromString('--semi-space-growth-factor=1');
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
