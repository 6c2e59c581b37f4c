import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';

export const ROOT = new URL('..', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin/pyro-push.cjs');
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

/**
 * The whole CLI in this process: `main` with captured streams, a clean environment (no PYROSCOPE_* or
 * proxy variables leak in) and stdin as given (empty when not). Everything but what needs a real
 * process (exit, signals, EPIPE, a TTY, start-up loading) is tested this way: it is 50× cheaper than a spawn.
 */
export async function runCli(args: string[], opts: RunOptions & { signal?: AbortSignal } = {}): Promise<CliRun> {
  const out = { stdout: '', stderr: '' };
  const stdin = opts.stdin === undefined ? new Uint8Array() : typeof opts.stdin === 'string' ? new TextEncoder().encode(opts.stdin) : opts.stdin;
  const code = await main(['node', 'pyro-push', ...args], {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
    stdin: { isTTY: false, read: async () => stdin },
    env: { ...opts.env },
    now: Date.now,
    signal: opts.signal ?? new AbortController().signal,
  });
  return checked({ code, ...out }, opts);
}

/** Spawns the real bin, for what needs a process: exit codes as the shell sees them, signals, pipes, start-up. */
export async function spawnCli(args: string[], opts: RunOptions = {}): Promise<CliRun> {
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
  return checked({ code, stdout, stderr }, opts);
}

function checked(run: CliRun, opts: RunOptions): CliRun {
  const printed = run.stdout + run.stderr;
  for (const secret of [...Object.values(SECRETS), ...(opts.secrets ?? [])])
    assert.ok(!printed.includes(secret), `the CLI printed a secret (${secret.slice(0, 6)}…) in: ${printed.slice(0, 2000)}`);
  return run;
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
