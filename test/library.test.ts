import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
// The package's own entry point (dist/, built by `npm test`), as a user imports it.
import { PyroPushError, exitCodeFor, push, startReceiver } from 'pyro-push';
import { fixture } from './helpers.js';

test("import { push } from 'pyro-push': results per profile and endpoint", async () => {
  const r = await startReceiver('127.0.0.1', 0);
  try {
    const warnings: string[] = [];
    const report = await push([fixture('cpu.pb.gz')], { url: r.url, serviceName: 'lib', labels: { env: 'test' }, maxAttempts: 3, timeout: 5000 }, { onWarning: (w) => warnings.push(w) });
    assert.equal(exitCodeFor(report), 0);
    assert.deepEqual(report.results.map((p) => p.endpoints.map((e) => [e.endpoint, e.ok, e.attempts])), [[[r.url, true, 1]]]);
    assert.deepEqual(Buffer.from(r.received[0]!.rawProfile), readFileSync(fixture('cpu.pb.gz')));
    assert.deepEqual(warnings, []);
    assert.deepEqual(r.received[0]?.labels, { __name__: 'process_cpu', __delta__: 'false', env: 'test', service_name: 'lib' });
  } finally {
    await r.close();
  }
});

test('a mistake throws a PyroPushError with a code and exit code 2, before sending', async () => {
  await assert.rejects(
    push([fixture('cpu.pb.gz')], { url: ['http://127.0.0.1:1'], timeout: '10' }, { env: {} }),
    (err: unknown) => err instanceof PyroPushError && err.code === 'USAGE' && err.exitCode === 2 && /--timeout/.test(err.message),
  );
});
