// Loaded with --import by test/startup.test.ts: prints every package module the process resolves,
// so the test can prove that --help and --version never load the heavy ones.
import { register } from 'node:module';

const hooks = `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.includes('/node_modules/')) console.error('LOADED ' + result.url);
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
