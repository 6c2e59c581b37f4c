/** Profiles that are not pprof, end to end: collapsed stacks converted and pushed, JFR over /ingest. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { Profile } from 'pprof-format';
import { type Receiver, startReceiver } from '../src/receiver/receiver.js';
import { FIXTURES, ROOT, runCli, tempDir, writeTemp } from './helpers.js';

const FORMATS = join(ROOT, '../shared/formats');
const skip = !existsSync(FORMATS) && '../shared/formats is not here';
let r: Receiver;
before(async () => {
  r = await startReceiver('127.0.0.1', 0);
});
after(() => r.close());

describe('collapsed stacks', () => {
  test('real perf output, with --sample-rate: pushed as a CPU profile whose samples add up to the counts', { skip }, async () => {
    const file = join(FORMATS, 'perf-numa-collapsed.txt');
    const counts = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
    const n = r.received.length;
    const run = await runCli([file, '--url', r.url, '--service-name', 'perf', '--sample-rate', '99']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const got = r.received[n];
    assert.equal(got?.labels.__name__, 'process_cpu');
    const profile = Profile.decode(gunzipSync(got.rawProfile));
    const total = profile.sample.reduce((sum, s) => sum + Number(s.value[0]), 0);
    assert.equal(total, counts.reduce((a, b) => a + b, 0));
    assert.equal(Number(profile.period), Math.round(1e9 / 99));
  });

  test('without a sample rate the type cannot be told: one line asks for --profile-name', async () => {
    const file = writeTemp(tempDir(), 'stacks.txt', 'main;work;compute 3\nmain;idle 1\n');
    const run = await runCli([file, '--url', r.url, '--service-name', 'a']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^error: .*stacks\.txt: cannot tell the profile type from its sample types \(samples\); pass --profile-name/m);
    const named = await runCli([file, '--url', r.url, '--service-name', 'a', '--profile-name', 'wall']);
    assert.equal(named.code, 0, named.stderr);
  });

  test('--format forces a reading; a wrong one is a clear line', async () => {
    const run = await runCli([join(FIXTURES, 'cpu.pb.gz'), '--url', r.url, '--format', 'collapsed']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^error: .*cpu\.pb\.gz: /m);
    const bad = await runCli([join(FIXTURES, 'cpu.pb.gz'), '--url', r.url, '--format', 'svg']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format.*svg/);
  });

  test('a file that is none of the formats names the ones understood', async () => {
    const file = writeTemp(tempDir(), 'notes.md', '# notes\n\nnothing here\n');
    const run = await runCli([file, '--url', r.url]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /notes\.md: not a pprof profile \([^)]*\), collapsed stacks or a JFR recording; pyro-push reads pprof \(gzipped or not\), collapsed stacks .* or JFR \(Java Flight Recorder\); --format forces one$/m);
  });
});

describe('JFR', () => {
  test('a real recording goes over /ingest with format=jfr, byte-identical', { skip }, async () => {
    const file = join(FORMATS, 'java-dump1.jfr.gz');
    const n = r.received.length;
    const run = await runCli([file, '--url', r.url, '--protocol', 'ingest', '--service-name', 'java-app', '--override-timestamp']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const got = r.received[n];
    assert.deepEqual([got?.protocol, got?.format, got?.query?.format], ['ingest', 'jfr', 'jfr']);
    assert.equal(got?.labels.service_name, 'java-app');
    assert.deepEqual(Buffer.from(got?.rawProfile ?? []), readFileSync(file));
  });

  test('to a Push API endpoint: exit 2, naming --protocol ingest', { skip }, async () => {
    const before = r.requests();
    const run = await runCli([join(FORMATS, 'java-dump1.jfr.gz'), '--url', r.url, '--service-name', 'a']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /java-dump1\.jfr\.gz: a JFR recording, which the Push API does not take: send it to an endpoint with --protocol ingest \(protocol: ingest\)$/m);
    assert.equal(r.requests(), before);
  });
});
