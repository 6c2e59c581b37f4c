import type { Clock } from '../clock.js';
import { formatDuration } from '../config/duration.js';
import type { RunConfig } from '../config/resolve.js';
import { RunStopped } from '../errors.js';

/** What a run is stopped by, and when its --deadline falls. */
export interface RunSignals {
  signal: AbortSignal;
  inFlight: AbortSignal;
  deadline: { at: number; by: string } | undefined;
  dispose(): void;
}

/**
 * The run's two signals. `signal`: no new send starts and every wait ends (the deadline, the caller's
 * stop). `inFlight`: requests in flight end too — at the deadline at once, after the caller's stop only
 * once the interrupt grace has passed, so that a request about to be answered is not thrown away.
 */
export function runSignals(config: RunConfig, clock: Clock, caller: AbortSignal | undefined): RunSignals {
  const deadline = config.deadlineMs > 0 ? { at: clock.now() + config.deadlineMs, by: `--deadline ${formatDuration(config.deadlineMs)}` } : undefined;
  const starting = new AbortController();
  const inFlight = new AbortController();
  const stop = (reason: unknown, graceMs: number) => {
    if (!starting.signal.aborted) starting.abort(reason);
    if (graceMs === 0) inFlight.abort(reason);
    else graceTimer ??= setTimeout(() => inFlight.abort(reason), graceMs);
  };
  let graceTimer: NodeJS.Timeout | undefined;
  // The deadline covers the whole run from here, reading inputs included (a FIFO that never ends).
  const deadlineTimer = deadline && setTimeout(() => stop(new RunStopped('deadline', deadline.by), 0), config.deadlineMs);
  const onCallerStop = () => stop(caller?.reason, config.interruptGraceMs);
  if (caller?.aborted) onCallerStop();
  else caller?.addEventListener('abort', onCallerStop, { once: true });
  return {
    signal: starting.signal,
    inFlight: inFlight.signal,
    deadline,
    dispose: () => {
      clearTimeout(deadlineTimer);
      clearTimeout(graceTimer);
      caller?.removeEventListener('abort', onCallerStop);
    },
  };
}
