/**
 * Whole outputs, as a user sees them, held against files in test/snapshots/ (as @arethetypeswrong/cli
 * does): a change to any line of a --json report or a --dry-run shows up in review. Run with
 * UPDATE_SNAPSHOTS=1 to rewrite them after an intended change, and read the diff.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startReceiver } from '../src/receiver/receiver.js';
import { FIXTURES, ROOT, SECRETS, runCli } from './helpers.js';

const DIR = join(ROOT, 'test/snapshots');

function matchSnapshot(name: string, actual: string): void {
  const file = join(DIR, `${name}.txt`);
  if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(file)) writeFileSync(file, actual);
  assert.equal(actual, readFileSync(file, 'utf8'), `snapshot ${name} differs (UPDATE_SNAPSHOTS=1 rewrites it)`);
}

/** What differs from run to run: the receiver's port, where the checkout is, the time taken. */
const stable = (text: string, good: string, bad: string) =>
  text.replaceAll(good, 'http://127.0.0.1:GOOD').replaceAll(bad, 'http://127.0.0.1:REFUSING').replaceAll(FIXTURES, '<fixtures>').replace(/, \d+(\.\d+)?m?s\)/g, ', <time>)');

/** Runs the CLI against two receivers: one that takes everything, one that refuses everything with 400. */
async function snapshotRun(name: string, args: (good: string, refusing: string) => string[], env: Record<string, string> = {}) {
  const good = await startReceiver('127.0.0.1', 0);
  const refusing = await startReceiver('127.0.0.1', 0, { script: () => ({ status: 400, body: '{"code":"invalid_argument","message":"profile is broken"}', headers: { 'content-type': 'application/json' } }) });
  try {
    const run = await runCli(args(good.url, refusing.url), { env });
    matchSnapshot(name, stable(`exit ${run.code}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`, good.url, refusing.url));
  } finally {
    await Promise.all([good.close(), refusing.close()]);
  }
}

const cpu = join(FIXTURES, 'cpu.pb.gz');
const heap = join(FIXTURES, 'heap.pb');

test('--dry-run from a config file: endpoints, auth as <secret>, labels', () =>
  snapshotRun('dry-run-config', (url) => [cpu, heap, '--config', join(FIXTURES, 'config/staging.yaml'), '--url', url, '--service-name', 'api', '-l', 'env=ci', '--bearer-token', SECRETS.token, '--dry-run'], { PYRO_TEST_PASSWORD: SECRETS.password }));

test('--dry-run --json', () => snapshotRun('dry-run-json', (url) => [cpu, '--url', url, '--service-name', 'api', '--dry-run', '--json']));

test('--json: two profiles delivered', () => snapshotRun('json-delivered', (url) => [cpu, heap, '--url', url, '--service-name', 'api', '--json']));

test('--json: refused by the server, with a warning', () => snapshotRun('json-refused', (_, refusing) => [cpu, '--url', refusing, '--json']));

test('--json: a mistake before sending', () => snapshotRun('json-usage-error', (url) => [cpu, '--url', url, '--service-name', 'api', '--max-backoff', '100ms', '--json']));

test('lines: delivered to one endpoint, refused by the other, the summary', () =>
  snapshotRun('lines-mixed', (good, refusing) => [cpu, heap, '--url', good, '--url', refusing, '--service-name', 'api', '--concurrency', '1']));
