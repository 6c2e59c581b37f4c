import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startReceiver } from '../src/receiver/receiver.js';
import { SHARED_PROFILES, runCli } from './helpers.js';

const shared = existsSync(SHARED_PROFILES);
const skip = !shared && 'no ../shared/profiles beside the checkout';

test('every real profile in ../shared/profiles arrives byte-identical', { skip }, async () => {
  const files = readdirSync(SHARED_PROFILES).filter((f) => !f.endsWith('.md') && !f.startsWith('bad-')).map((f) => join(SHARED_PROFILES, f));
  const r = await startReceiver('127.0.0.1', 0);
  try {
    const run = await runCli([...files, '--url', r.url, '--service-name', 'compat', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(r.received.length, files.length);
    const sent = new Set(files.map((f) => readFileSync(f).toString('base64')));
    for (const p of r.received) assert.ok(sent.has(Buffer.from(p.rawProfile).toString('base64')), `${p.labels.__name__} arrived changed`);
    // Old timestamps: each is warned about, since a real server would refuse them.
    assert.match(run.stderr, /outside the server's ingestion window/);
  } finally {
    await r.close();
  }
});

test('the profile with invalid UTF-8 is a clear local error, and nothing is sent', { skip }, async () => {
  const r = await startReceiver('127.0.0.1', 0);
  try {
    const bad = join(SHARED_PROFILES, 'bad-invalid-utf8.pb.gz');
    const run = await runCli([join(SHARED_PROFILES, 'go-cpu-small.pb.gz'), bad, '--url', r.url]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /bad-invalid-utf8\.pb\.gz: the profile's string table has invalid UTF-8; the server rejects it/);
    assert.equal(r.requests(), 0);
  } finally {
    await r.close();
  }
});

test('--override-timestamp re-encodes with time_nanos = now, keeping gzip', { skip }, async () => {
  const { Profile } = await import('pprof-format');
  const { gunzipSync } = await import('node:zlib');
  const r = await startReceiver('127.0.0.1', 0);
  try {
    const before = Date.now();
    const run = await runCli([join(SHARED_PROFILES, 'go-cpu-small.pb.gz'), '--url', r.url, '--service-name', 'a', '--override-timestamp']);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /ingestion window/);
    const raw = r.received[0]!.rawProfile;
    assert.deepEqual([raw[0], raw[1]], [0x1f, 0x8b]);
    const ms = Number(BigInt(Profile.decode(gunzipSync(raw)).timeNanos) / 1_000_000n);
    assert.ok(ms >= before && ms <= Date.now(), `time ${ms}`);
  } finally {
    await r.close();
  }
});

test('--strict refuses profiles the server would refuse', { skip }, async () => {
  const run = await runCli([join(SHARED_PROFILES, 'go-cpu-small.pb.gz'), '--url', 'http://127.0.0.1:1', '--strict']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /go-cpu-small\.pb\.gz: time_nanos .* outside the server's ingestion window .* \(--strict\)/);
});
