/**
 * `npm run build` step 2: the published CLI as one esbuild bundle, dist-bundle/cli.cjs (bin/pyro-push.cjs
 * compiles it with a V8 code cache). tsc's dist/ stays the library (`import … from 'pyro-push'`, with types).
 *
 * - One CommonJS file, no splitting: Node 20 gives a code cache to scripts only, and one file is one read
 *   and one cache. What a command does not need still does not run: modules reached by `import()` sit in
 *   esbuild's lazy wrappers, run on first use (test/startup.test.ts checks which ran).
 * - Each plugin below rewrites a known piece of source and fails the build if that piece is no longer
 *   there, so that a dependency's update cannot silently undo it.
 * - The version is inlined from package.json (src/version.ts reads it at run time next to dist/).
 * - Comments and whitespace go, names stay (commander names its errors by their class): half the size,
 *   and the launcher reads and checks half as much. Pure ASCII, so that it reads the file as latin1, a
 *   third of the time of decoding UTF-8 (esbuild escapes strings but not regular expressions).
 * - PYRO_PUSH_READABLE_BUNDLE=<dir> writes the same bundle unminified into <dir> instead: esbuild's
 *   wrappers then name each module, which is how test/startup.test.ts tells which modules ran.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type Plugin, build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const readable = process.env.PYRO_PUSH_READABLE_BUNDLE;
const outdir = readable || `${root}dist-bundle`;
const { version } = JSON.parse(await readFile(`${root}package.json`, 'utf8')) as { version: string };

/** A plugin that replaces `from` with `to` in the one file `filter` matches, or fails the build. */
function rewrite(name: string, filter: RegExp, from: string | RegExp, to: (match: RegExpExecArray) => string): Plugin {
  const pattern = typeof from === 'string' ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : from;
  return {
    name,
    setup(b) {
      b.onLoad({ filter }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        const match = pattern.exec(source);
        if (!match) throw new Error(`${args.path} no longer has ${pattern}: update the "${name}" plugin in scripts/bundle.ts`);
        return { contents: source.slice(0, match.index) + to(match) + source.slice(match.index + match[0].length), loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
      });
    },
  };
}

// src/transport/undici.ts loads undici's files with `createRequire`, which a bundler cannot follow: without
// that line its `require(…)` calls are plain ones that esbuild bundles.
const staticUndici = rewrite('undici-files-as-static-requires', /[\\/]src[\\/]transport[\\/]undici\.ts$/, 'const require = createRequire(import.meta.url);', () => '');

// A CommonJS bundle has no import.meta.url to find package.json by: the version is written in at build time.
const inlineVersion = rewrite('inline-version', /[\\/]src[\\/]version\.ts$/, /\(JSON\.parse\(readFileSync\(new URL\('\.\.\/package\.json', import\.meta\.url\)[^;]*\.version(?=;)/, () =>
  JSON.stringify(version),
);

// undici's client-h2.js loads node:http2 (and with it node:tls) when it is loaded itself; only --http2
// connects with it. Its constants are written in, each checked against this Node's node:http2.
const H2_REQUIRE = /let http2\s*\ntry \{\s*http2 = require\('node:http2'\)[\s\S]*?const \{\s*constants: \{([^}]*)\}\s*\} = http2/;
const lazyHttp2 = rewrite('undici-lazy-http2', /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/, H2_REQUIRE, (m) => {
  const constants = createRequire(import.meta.url)('node:http2').constants as Record<string, unknown>;
  const names = (m[1] as string).split(',').map((s) => s.trim()).filter(Boolean);
  const lines = names.map((n) => {
    if (constants[n] === undefined) throw new Error(`node:http2 has no constant ${n}: update the "undici-lazy-http2" plugin in scripts/bundle.ts`);
    return `const ${n} = ${JSON.stringify(constants[n])}`;
  });
  const connect = ["let http2Module", "const http2 = { connect: (...args) => (http2Module ??= require('node:http2')).connect(...args) }"];
  return [...connect, ...lines].join('\n');
});

// commander loads node:child_process (and with it net, dgram…) for executable subcommands, which
// pyro-push has none of; `spawn` is all it uses of it.
const lazyChildProcess = rewrite(
  'commander-lazy-child-process',
  /[\\/]commander[\\/]lib[\\/]command\.js$/,
  "const childProcess = require('node:child_process');",
  () => "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
);

await rm(outdir, { recursive: true, force: true });
const result = await build({
  write: false,
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/fast-path.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  minifyWhitespace: !readable,
  minifySyntax: !readable,
  logLevel: 'warning',
  plugins: [staticUndici, inlineVersion, lazyHttp2, lazyChildProcess],
});
// A warning here (e.g. an import.meta left in a CommonJS bundle) would be a broken CLI at run time.
if (result.warnings.length > 0) throw new Error(`esbuild warned ${result.warnings.length} time(s): see above`);
await mkdir(outdir, { recursive: true });
for (const { path, text } of result.outputFiles) {
  // What esbuild leaves non-ASCII is in regular expressions, where \uXXXX (per UTF-16 unit) means the same.
  const ascii = text.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  await writeFile(path, ascii, 'latin1');
}
