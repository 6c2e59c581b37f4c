#!/usr/bin/env node
// The CLI as esbuild bundles it (dist-bundle/, made by `npm run build`; see scripts/bundle.ts).
import { run } from '../dist-bundle/cli.js';

await run();
