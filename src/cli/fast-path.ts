/**
 * The CLI's entry (bin/pyro-push.cjs runs `run` from the bundle, after answering a lone `--version`
 * itself; scripts/bin-unbundled.mjs from dist/). `pyro-push --version` alone is answered here too, without
 * building the commander program; everything else, `--help` included, goes to `runAsProcess`, loaded
 * only then (in the bundle, its code runs only then). The answer is commander's: the version and a newline
 * on stdout, exit code 0.
 */
import { VERSION } from '../version.js';

/** Exactly `--version` or `-V` and nothing else: any other argument is left to commander. */
export function isVersionOnly(args: readonly string[]): boolean {
  return args.length === 1 && (args[0] === '--version' || args[0] === '-V');
}

export async function run(): Promise<void> {
  if (isVersionOnly(process.argv.slice(2))) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const { runAsProcess } = await import('./process.js');
  await runAsProcess();
}
