import { setTimeout as delay } from 'node:timers/promises';

/** Time as delivery sees it: injected, so that retry tests run in milliseconds without real sleeps. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason the moment `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** In [0, 1), for jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    try {
      await delay(ms, undefined, signal && { signal });
    } catch (err) {
      // timers/promises rejects with a generic AbortError: hand on the reason the caller gave instead.
      throw signal?.aborted ? signal.reason : err;
    }
  },
  random: Math.random,
};
