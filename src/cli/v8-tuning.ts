import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * The young generation's size (V8's new space, both halves) past which the CLI does not let it grow. Left
 * alone, V8 doubles it up to 32 MiB as a run keeps objects alive; a push gains no time from that (1000
 * files, one endpoint or four, side by side) and a bulk run's peak RSS grew with it: 1000 files to four
 * endpoints ~86 → ~75 MiB, 20 000 files ~100 → ~83 MiB with the cap.
 */
export const YOUNG_GENERATION_MAX = 4 * 1024 * 1024;
/** How soon the size is looked at again: at first often, then, in a process that stays small (an idle `receive`), ever less. */
const POLL_MS = { first: 10, max: 1000 };

/**
 * Keeps V8's young generation at YOUNG_GENERATION_MAX once it gets there. V8 reads its maximum only when
 * the heap is made, before any of our code runs, but reads `--semi-space-growth-factor` whenever it would
 * grow it: once the young generation is big enough, a factor of 1 keeps it there. It gets there early in
 * a run, so its size is looked at now and after 10, 20, 40 … ms (at most a second apart) until then, by
 * a timer that never keeps the process alive. (Set from the start instead, at 1 MiB, the factor cost a
 * run with four endpoints 20 %: objects still in use were promoted, and the old generation grew instead.)
 */
export function capYoungGeneration(): void {
  const look = (waitMs: number): void => {
    if (!capped()) setTimeout(look, waitMs, Math.min(2 * waitMs, POLL_MS.max)).unref();
  };
  look(POLL_MS.first);
}

function capped(): boolean {
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  if (young === undefined || young.space_size < YOUNG_GENERATION_MAX) return young === undefined;
  setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}

/**
 * V8's own budget (`--interrupt-budget`, Node 20's V8). bin/v8-flags.cjs starts the CLI with four times
 * it, which keeps a thousand-file run from compiling code it has no use for; a run that does enough of
 * the same work gets V8's back, where the optimised code pays again. Measured side by side against a local
 * receiver, 4× the budget against V8's: 1000 files 10 % faster, 5000 files 13 % slower, 20 000 files
 * 40 % slower; 1000 files to two endpoints 10 % faster, to three the same, to four 8 % slower.
 */
export const V8_INTERRUPT_BUDGET = 67_584;
/** Whether this V8 tiers up by that budget (Node 20's, 11.x): later ones count calls and have no such flag. */
const TIERS_BY_BUDGET = process.versions.v8.startsWith('11.');

function useV8Budget(): void {
  if (TIERS_BY_BUDGET) setFlagsFromString(`--interrupt-budget=${V8_INTERRUPT_BUDGET}`);
}

/** How the CLI process tunes V8 once it knows how large a run is (`Io.tuneV8`). */
export interface V8Tuning {
  /** A run of many inputs, before they are read: V8's tier-up budget, and a heap kept small. */
  manyInputs(): void;
  /** A run of many requests (profiles × endpoints), before they are sent: V8's tier-up budget. */
  manyRequests(): void;
}

/**
 * The launcher puts the tier-up budget, `--optimize-for-size` and the `--max-semi-space-size` it implies
 * back to what they were at start before it makes a code cache (bin/v8-flags.cjs#asAtStart): a cache
 * made under them would be rejected by every next run.
 */
export const V8_TUNING: V8Tuning = {
  /**
   * Besides V8's budget, `--optimize-for-size`, read at every collection: a heap near what is live. V8
   * otherwise lets the old generation grow to ~4× what is live between full collections, and a bulk run
   * allocates briskly and keeps little (20 000 files: ~155 instead of ~101 MiB when it was set; now that a
   * run keeps less per input, it saves ~1 MiB at 20 000 files and 8–9 MiB at 50 000, the more the longer
   * the run). It costs 5–15 % of the time, which a short run is better without.
   */
  manyInputs() {
    useV8Budget();
    setFlagsFromString('--optimize-for-size');
  },
  manyRequests() {
    useV8Budget();
  },
};
