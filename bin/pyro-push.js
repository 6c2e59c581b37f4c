#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv).catch((err) => {
  process.stderr.write(`internal error (a bug in pyro-push, please report it): ${err?.message ?? err}\n`);
  if (process.argv.includes('--verbose') || process.argv.includes('-v')) process.stderr.write(`${err?.stack}\n`);
  process.exitCode = 3;
});
