import { readFileSync } from 'node:fs';

/** From package.json, read at run time so that src/ (tests) and dist/ (the bin) agree. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
export const USER_AGENT = `pyro-push/${VERSION}`;
