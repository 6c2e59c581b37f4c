#!/usr/bin/env node
'use strict';
// The launcher. CommonJS on purpose: a lone `--version` is answered before Node's ESM loader or the bundle
// is touched, and the bundle (dist-bundle/cli.cjs, one CommonJS file made by scripts/bundle.ts) is
// compiled with a V8 code cache, which Node 20 offers to scripts only. Every failure to read or write the
// cache is ignored: a read-only or missing home must cost time, never the run. PYRO_PUSH_NO_CODE_CACHE=1
// turns the cache off.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
// package.json is the one source of the version (the bundle has it inlined at build time).
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const args = process.argv.slice(2);

if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // As commander answers it: the version and a newline on stdout, exit code 0.
  printVersion(`${version}\n`);
} else {
  require('./v8-flags.cjs');
  runBundle(path.join(root, 'dist-bundle', 'cli.cjs'));
}

/** Writes straight to fd 1: a stream would cost more than the rest of this answer. */
function printVersion(text) {
  try {
    fs.writeSync(1, text);
  } catch (err) {
    // A full non-blocking pipe takes the stream's queued write; a reader gone away takes nothing.
    if (err.code === 'EAGAIN') process.stdout.write(text);
    else if (err.code !== 'EPIPE') throw err;
  }
}

/** Compiles the bundle (with the code cache when there is one), runs its `run`, and caches what it compiled. */
function runBundle(file) {
  const vm = require('node:vm');
  // scripts/bundle.ts writes it in ASCII, which latin1 reads as UTF-8 would, in a third of the time.
  const source = fs.readFileSync(file, 'latin1');
  const cache = codeCache(file);
  const cachedData = cache?.read();
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, require('node:module').createRequire(file), bundle, file, path.dirname(file));
  // Written at exit, so that the cache holds every function this command compiled, not only the top
  // level. Pushes are what runs most, unattended: another command's cache is replaced by a push's.
  const push = isPush(args);
  if (cache && (cachedData === undefined || script.cachedDataRejected || (push && !cache.push))) {
    process.once('exit', () => {
      if (require('./v8-flags.cjs').asAtStart()) cache.write(script.createCachedData(), push);
    });
  }
  bundle.exports.run();
}

/** A push or flush, as far as the launcher can tell without commander: not help, version, inspect or receive. */
function isPush(argv) {
  const other = ['--help', '-h', '--version', '-V'];
  return argv.length > 0 && !['help', 'inspect', 'receive'].includes(argv[0]) && !argv.some((a) => other.includes(a));
}

/**
 * The code cache's file: $XDG_CACHE_HOME/pyro-push/ or ~/.cache/pyro-push/, one per pyro-push version,
 * Node version and architecture, so that rebuilds replace it rather than pile up. V8 checks its own
 * version and flags but of the source only its length: the file starts with a line naming the bundle's
 * size and mtime, and a cache made for another bundle is not used.
 */
function codeCache(file) {
  if (process.env.PYRO_PUSH_NO_CODE_CACHE === '1') return undefined;
  try {
    const xdg = process.env.XDG_CACHE_HOME;
    const dir = path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(require('node:os').homedir(), '.cache'), 'pyro-push');
    const cacheFile = path.join(dir, `cli-${version}-${process.version}-${process.arch}.v8cache`);
    const stat = fs.statSync(file);
    const key = `${stat.size}-${stat.mtimeMs}`;
    const cache = {
      push: false,
      read() {
        try {
          const bytes = fs.readFileSync(cacheFile);
          const newline = bytes.indexOf(10);
          const [bundle, kind] = bytes.toString('latin1', 0, newline).split(' ');
          if (newline < 0 || bundle !== key) return undefined;
          cache.push = kind === 'push';
          return bytes.subarray(newline + 1);
        } catch {
          return undefined;
        }
      },
      write(data, push) {
        // Renamed into place: a run reading the cache meanwhile reads the old one or the new one, whole.
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        try {
          fs.mkdirSync(dir, { recursive: true });
          fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`${key} ${push ? 'push' : 'other'}\n`, 'latin1'), data]));
          fs.renameSync(tmp, cacheFile);
        } catch {
          try {
            fs.unlinkSync(tmp);
          } catch {}
        }
      },
    };
    return cache;
  } catch {
    return undefined;
  }
}
