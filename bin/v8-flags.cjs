'use strict';
// V8's flags for the CLI process, in one place: bin/pyro-push.cjs sets them before it compiles the bundle
// (a code cache records the flags it was made under, and V8 rejects it under any others), and
// scripts/bin-unbundled.mjs before it loads tsc's dist/, so that `npm run bench` compares like with like.
// The library (src/index.ts, dist/) never sets them: they are the process's, not an importer's.
const { setFlagsFromString } = require('node:v8');

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
const INTERRUPT_BUDGET = 4 * 67_584;
setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);

// Flags the CLI changes while it runs, once it knows they pay (src/cli/v8-tuning.ts: the young generation
// stops growing at 4 MiB; V8's tier-up budget and --optimize-for-size for a long run), as the
// next run starts with them. A code cache is tagged with the flags in force when it is made, and one made
// under the changed ones would be rejected by every next run: bin/pyro-push.cjs puts them back first.
// --optimize-for-size also sets --max-semi-space-size to 1, which --no-optimize-for-size leaves: that
// flag goes back too (0, V8's "worked out from the heap"; read when the heap is made, so only the
// cache's tag sees it), or every run of many inputs left a cache the next run rejected.
const AS_AT_START = ['--semi-space-growth-factor=2', '--no-optimize-for-size', '--max-semi-space-size=0', `--interrupt-budget=${INTERRUPT_BUDGET}`];

/** The flags as the next run starts with them: called before a code cache is made, at exit. */
function asAtStart() {
  for (const flag of AS_AT_START) setFlagsFromString(flag);
}

module.exports = { asAtStart };
