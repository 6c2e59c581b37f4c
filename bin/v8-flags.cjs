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

// Flags the CLI sets while it runs, once it knows they pay (src/cli/small-heap.ts: the young generation
// stops growing at 4 MiB; --optimize-for-size for a run of many inputs), and their defaults. A code cache
// is tagged with the flags in force when it is made, and one made under these would be rejected by every
// next run (which starts without them): bin/pyro-push.cjs puts them back before it makes one.
const SET_WHILE_RUNNING = ['--semi-space-growth-factor=2', '--no-optimize-for-size'];

/** The flags as the next run starts with them: called before a code cache is made, at exit. */
function asAtStart() {
  for (const flag of SET_WHILE_RUNNING) setFlagsFromString(flag);
}

module.exports = { asAtStart };
