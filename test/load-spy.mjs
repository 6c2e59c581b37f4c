// Loaded with --import by test/startup.test.ts: prints every file the process resolves, by import (ESM
// hook) or by require (CommonJS), so the test can prove what a command does not load. The test maps
// bundle chunks (dist-bundle/) back to their sources with esbuild's metafile.
import Module, { register } from 'node:module';

const hooks = `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith('file:')) console.error('LOADED ' + result.url);
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolveFilename.apply(this, args);
  if (file.startsWith('/')) console.error(`LOADED file://${file}`);
  return file;
};
