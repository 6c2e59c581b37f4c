// Loaded with --import by test/startup.test.ts and test/inspect.test.ts: prints every file the process
// resolves, by import (ESM hook) or by require (CommonJS), and at exit the Node built-ins it loaded
// (node:http2, node:tls…), so that a test can prove what a command does not load. Which modules inside
// the bundle ran, test/startup.test.ts reads from V8's coverage instead: the bundle is one file.
import { realpathSync } from 'node:fs';
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';

// Paths as seen from this package, also where node_modules is a link (a git worktree sharing one install).
const linked = new URL('../node_modules/', import.meta.url).href;
let real = linked;
try {
  real = `${pathToFileURL(realpathSync(new URL(linked))).href}/`;
} catch {}
const hooks = `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith('file:')) console.error('LOADED ' + result.url.replace(${JSON.stringify(real)}, ${JSON.stringify(linked)}));
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolveFilename.apply(this, args);
  if (file.startsWith('/')) console.error(`LOADED ${`file://${file}`.replace(real, linked)}`);
  return file;
};

process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
  process._rawDebug(`BUILTINS ${JSON.stringify(builtins)}`);
});
