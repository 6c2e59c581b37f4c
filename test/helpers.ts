import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin/pyro-push.js');
export const FIXTURES = join(ROOT, 'fixtures');
export const SHARED_PROFILES = join(ROOT, '../shared/profiles');

/**
 * Every secret any test hands to the CLI. runCli fails the test if one of them shows up in anything
 * the CLI printed: the whole suite's output is scanned this way, not a sample of it.
 */
export const SECRETS = {
  password: 's3cr3t-pa55word',
  token: 'tok-9f8e7d6c5b4a',
  envPassword: 'env-pa55-0a1b2c',
  envToken: 'env-tok-77aa88bb',
  filePassword: 'file-pa55-424242',
  fileToken: 'file-tok-313131',
  clientSecret: 'client-s3cret-5150',
  proxyPassword: 'proxy-pa55-6060',
  headerToken: 'hdr-tok-1234abcd',
} as const;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: Uint8Array | string;
  env?: Record<string, string>;
  /** Extra secret strings this run must never print (e.g. a generated private key). */
  secrets?: string[];
}

/** Spawns the real bin with a clean environment (no PYROSCOPE_* or proxy variables leak in). */
export async function runCli(args: string[], opts: RunOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
  else child.stdin.end();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const printed = stdout + stderr;
  for (const secret of [...Object.values(SECRETS), ...(opts.secrets ?? [])])
    assert.ok(!printed.includes(secret), `the CLI printed a secret (${secret.slice(0, 6)}…) in: ${printed.slice(0, 2000)}`);
  return { code, stdout, stderr };
}

export function tempDir(prefix = 'pyro-push-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeTemp(dir: string, name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

export function fixture(name: string): string {
  return join(FIXTURES, name);
}
