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
// V8's heap sizing suits long-lived servers: the young generation doubles under a brisk allocation rate
// and the old one may grow to 4× what is live between full collections. A bulk push allocates briskly
// and keeps little, so its peak RSS grew with the number of inputs (1 000 → 20 000 files: 75 → 160 MiB).
// Both are read at each collection, so setting them at start-up is enough; they cost no time measurable
// in `npm run bench` (2–4 %, within its noise).
setFlagsFromString('--optimize-for-size');
setFlagsFromString('--semi-space-growth-factor=1');
