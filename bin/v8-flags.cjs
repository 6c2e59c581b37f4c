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
// --optimize-for-size, which keeps the heap near what is live, is not set here but for a run of many
// inputs only (src/cli/small-heap.ts): it costs a short run 5–11 % of its time.
