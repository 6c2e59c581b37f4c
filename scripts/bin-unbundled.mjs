#!/usr/bin/env node
// bin/pyro-push.cjs without the bundle: the same entry from tsc's dist/, under the same V8 flags. For
// `npm run bench`'s comparison.
import '../bin/v8-flags.cjs';
import { run } from '../dist/cli/fast-path.js';

await run();
