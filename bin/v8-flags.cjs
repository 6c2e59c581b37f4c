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
// V8's heap sizing suits long-lived servers: the old generation may grow to 4× what is live between full
// collections. A bulk push allocates briskly and keeps little, so its peak RSS grew with the number of
// inputs. This smaller growing factor is read at each collection, so setting it at start-up is enough; it
// costs no time measurable in `npm run bench`. (Keeping the young generation from growing too,
// --semi-space-growth-factor=1, flattened memory further but cost 20 % with four endpoints: not kept.)
setFlagsFromString('--optimize-for-size');
