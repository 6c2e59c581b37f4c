#!/usr/bin/env node
// bin/pyro-push.js without the bundle: the same entry from tsc's dist/. For `npm run bench`'s comparison.
import { run } from '../dist/cli/fast-path.js';

await run();
