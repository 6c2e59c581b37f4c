/**
 * `npm run build` step 2: the published CLI as one esbuild bundle in dist-bundle/ (bin/pyro-push.js
 * runs dist-bundle/cli.js). tsc's dist/ stays the library (`import … from 'pyro-push'`, with types).
 *
 * - ESM with code splitting: the entry (src/cli/fast-path.ts) answers `--version` alone; `--help` loads
 *   the commander chunk; a push loads its own chunk (undici, the pprof check, the wire writer) on demand.
 * - undici's files become static parts of the push chunk: src/transport/undici.ts loads them with
 *   `createRequire`, which a bundler cannot follow, so the plugin below drops that one line and lets
 *   esbuild bundle the `require(…)` calls (it fails the build if the line is no longer there).
 * - Flat output, one level below the package root: src/version.ts reads `../package.json` next to it.
 * - dist-bundle/meta.json (esbuild's metafile) says which sources each chunk holds: the start-up test
 *   reads it to tell what a command loaded.
 */
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Plugin, build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist-bundle`;
const CREATE_REQUIRE = 'const require = createRequire(import.meta.url);';

const staticUndici: Plugin = {
  name: 'undici-files-as-static-requires',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]transport[\\/]undici\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(CREATE_REQUIRE)) throw new Error(`${args.path} no longer has "${CREATE_REQUIRE}": update scripts/bundle.ts`);
      return { contents: source.replace(CREATE_REQUIRE, ''), loader: 'ts' };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/fast-path.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  // CommonJS inside the bundle (undici, commander…) requires Node's built-ins: give ESM chunks a require.
  banner: { js: "import { createRequire as __pyroPushCreateRequire } from 'node:module'; const require = __pyroPushCreateRequire(import.meta.url);" },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [staticUndici],
});
const { writeFile } = await import('node:fs/promises');
await writeFile(`${outdir}/meta.json`, JSON.stringify(result.metafile));
