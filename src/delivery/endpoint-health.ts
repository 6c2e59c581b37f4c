import { RunStopped } from '../errors.js';
import type { SharedThrottle } from './retry.js';

/**
 * What every profile bound for one endpoint shares during a run: whether the endpoint is down (then no
 * further profile is attempted: each is reported, or spooled, at once), and until when it asked to be
 * left alone (a Retry-After applies to the endpoint, not to the one profile that got it).
 */
export class EndpointHealth implements SharedThrottle {
  readonly #down = new AbortController();
  #pausedUntil = 0;

  constructor(readonly endpoint: string) {}

  /** Aborted, with a RunStopped reason naming the cause, once the endpoint is down. */
  get signal(): AbortSignal {
    return this.#down.signal;
  }

  markDown(cause: string): void {
    if (!this.#down.signal.aborted) this.#down.abort(new RunStopped('endpoint-down', `${this.endpoint} is down (${cause})`));
  }

  pausedUntil(): number {
    return this.#pausedUntil;
  }

  pause(untilMs: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, untilMs);
  }
}
