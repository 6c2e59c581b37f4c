'use strict';
// V8's flags for the CLI process, in one place: bin/pyro-push.cjs sets them before it compiles the bundle
// (a code cache records the flags it was made under, and V8 rejects it under any others), and
// scripts/bin-unbundled.mjs before it loads tsc's dist/, so that `npm run bench` compares like with like.
// The library (src/index.ts, dist/) never sets them: they are the process's, not an importer's.
const { cachedDataVersionTag, setFlagsFromString } = require('node:v8');

// undici parses HTTP with llhttp in WebAssembly; V8's optimising tier-up compiles it on background
// threads that Node waits for at exit (~80 ms here). Baseline code parses our few small answers
// just as well, so a one-shot CLI skips the tier-up. Set before undici loads, never changed after.
setFlagsFromString('--liftoff-only');

// V8 hands a function to TurboFan once it has run through this much bytecode a few times (V8's own budget
// is 67 584). A push of a thousand small files runs its per-file code a thousand times: under V8's budget
// ~90 functions were compiled on a background thread, ~100 ms of CPU (~40 % of it the one-pass check's,
// whose inlined graphs take 10–30 ms each), mostly after the code they were for had finished, while the
// thread took the second core from everything else. Four times the budget: 1000 files 360 → 320 ms and
// ~100 ms less CPU with a local receiver, 230 → 200 ms with --dry-run. A run of many inputs or requests
// gets V8's back (src/cli/v8-tuning.ts), where optimised code pays; a single push is the same either way.
// Node 20's V8 (11.x) only, the one measured: later V8s tier up by counting calls and have no such flag
// (V8 prints an error for a flag it does not know). src/cli/v8-tuning.ts asks the same question.
const INTERRUPT_BUDGET = 4 * 67_584;
const TIERS_BY_BUDGET = process.versions.v8.startsWith('11.');
if (TIERS_BY_BUDGET) setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);

// Flags the CLI changes while it runs, once it knows they pay (src/cli/v8-tuning.ts: the young generation
// stops growing at 4 MiB; V8's tier-up budget and --optimize-for-size for a long run), as the next run
// starts with them. A code cache is tagged with the flags in force when it is made (V8's
// cachedDataVersionTag), and one made under the changed ones would be rejected by every next run:
// bin/pyro-push.cjs puts them back first, and makes none when the tag still differs.
const AS_AT_START = ['--semi-space-growth-factor=2', '--no-optimize-for-size', ...(TIERS_BY_BUDGET ? [`--interrupt-budget=${INTERRUPT_BUDGET}`] : [])];
const START_TAG = cachedDataVersionTag();

/**
 * The flags as the next run starts with them, called at exit before a code cache is made: true when V8's
 * tag is the one the run started with, so that the next run takes the cache.
 */
function asAtStart() {
  for (const flag of AS_AT_START) setFlagsFromString(flag);
  // --optimize-for-size also set --max-semi-space-size to 1, which --no-optimize-for-size leaves. At start
  // it is 0 (worked out from the heap) unless NODE_OPTIONS gave one, which cannot be read back: 0 is put
  // back only when the tag still differs, and a cache is made only if that was the difference.
  if (cachedDataVersionTag() !== START_TAG) setFlagsFromString('--max-semi-space-size=0');
  return cachedDataVersionTag() === START_TAG;
}

module.exports = { asAtStart };
