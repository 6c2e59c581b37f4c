/**
 * Bulk delivery: every profile read, checked and encoded once per run whatever the number of endpoints;
 * what no endpoint is using kept within bounds (and read again past them); inputs read concurrently but
 * reported in input order. Counted through the `readBytes` hook and the RawSample IDs that arrive, never
 * by timing.
 */
import assert from 'node:assert/strict';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { systemClock } from '../src/clock.js';
import { resolveConfig } from '../src/config/resolve.js';
import { EndpointHealth } from '../src/delivery/endpoint-health.js';
import { deliver } from '../src/delivery/fan-out.js';
import { SHARED_IDLE_MAX } from '../src/delivery/shared-requests.js';
import { ProblemsError } from '../src/errors.js';
import { planProfiles } from '../src/profile/plan.js';
import { encodePushRequest, pushRequestParts } from '../src/protocol/push-api.js';
import { decodePushRequest } from '../src/protocol/push-api-decode.js';
import { push } from '../src/push.js';
import { type InputProfile, ReadSession, loadBytes, readInput } from '../src/sources/inputs.js';
import { createDispatcher } from '../src/transport/dispatcher.js';
import { authorizerFor } from '../src/transport/authorizer.js';
import { MANY_INPUTS, MANY_REQUESTS } from '../src/cli/push-command.js';
import { main } from '../src/cli/main.js';
import { FIXTURES, tempDir, writeTemp } from './helpers.js';

const CPU = readFileSync(join(FIXTURES, 'cpu.pb.gz'));
const HEAP = readFileSync(join(FIXTURES, 'heap.pb'));
const NO_STDIN = { isTTY: false, read: async () => new Uint8Array() };

interface Received {
  url: string;
  /** The RawSample IDs received, in order of arrival. */
  ids: string[];
  server: Server;
}

/** A Push API endpoint that stores the RawSample IDs it is sent, after `delayMs` per request. */
async function endpoint(delayMs = 0): Promise<Received> {
  const ids: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = decodePushRequest(Buffer.concat(chunks));
      for (const series of request.series) for (const sample of series.samples) ids.push(sample.ID);
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/proto' }).end(), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ids, server };
}

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

/** `n` inputs whose bytes were not kept from the check (past a run's bounds): sending reads them from disk again. */
async function planned(n: number) {
  const dir = tempDir();
  for (let i = 0; i < n; i++) writeTemp(dir, `p${String(i).padStart(3, '0')}.pb`, i % 2 ? HEAP : CPU);
  const names = Array.from({ length: n }, (_, i) => join(dir, `p${String(i).padStart(3, '0')}.pb`));
  const session = new ReadSession({ bounds: { inputs: 0, bytes: 0 } });
  return Promise.all(names.map((name) => readInput(name, NO_STDIN, undefined, {}, session)));
}

/** deliver() over real HTTP to `ends`, counting the reads at send time per input. */
async function run(ends: Received[], inputs: InputProfile[], concurrency: number) {
  const { config } = resolveConfig({ url: ends.map((e) => e.url), serviceName: 'bulk', concurrency, maxAttempts: 1 }, {}, {});
  const { profiles } = planProfiles(inputs, config, Date.now());
  const reads = new Map<string, number>();
  const never = new AbortController().signal;
  const dispatchers = config.endpoints.map((e) => createDispatcher(e, {}));
  const health = new Map(config.endpoints.map((e) => [e, new EndpointHealth(e.name)]));
  try {
    const results = await deliver(
      profiles,
      config,
      {
        clock: systemClock,
        signal: never,
        inFlight: never,
        healthFor: (e) => health.get(e) as EndpointHealth,
        connectionFor: (e) => ({ dispatcher: dispatchers[config.endpoints.indexOf(e)]!, authorizer: authorizerFor(e.auth, () => assert.fail('no OAuth2 here')) }),
        readBytes: (input, signal) => {
          reads.set(input.name, (reads.get(input.name) ?? 0) + 1);
          return loadBytes(input, signal);
        },
      },
    );
    return { results, reads };
  } finally {
    await Promise.all(dispatchers.map((d) => d.close()));
  }
}

describe('bulk delivery', () => {
  test('4 endpoints: each profile is read once and encoded once (one RawSample ID at every endpoint)', async () => {
    const ends = await Promise.all([endpoint(), endpoint(), endpoint(), endpoint()]);
    servers.push(...ends.map((e) => e.server));
    const inputs = await planned(24);
    const { results, reads } = await run(ends, inputs, 3);
    assert.equal(results.length, 24);
    assert.ok(results.every((r) => r.endpoints.length === 4 && r.endpoints.every((e) => e.state === 'delivered')));
    assert.deepEqual([...reads.values()], Array(24).fill(1), 'one read a profile, whatever the number of endpoints');
    const [first, ...others] = ends.map((e) => [...e.ids].sort());
    assert.equal(first?.length, 24);
    assert.equal(new Set(first).size, 24, 'a fresh ID per profile');
    for (const ids of others) assert.deepEqual(ids, first, 'the same request (same ID) at every endpoint');
  });

  test('a slow endpoint does not hold up a fast one; past the bounds a profile is read again, never lost', async () => {
    const saved = { ...SHARED_IDLE_MAX };
    SHARED_IDLE_MAX.entries = 2;
    try {
      const fast = await endpoint();
      const slow = await endpoint(15);
      servers.push(fast.server, slow.server);
      const inputs = await planned(20);
      const { results, reads } = await run([fast, slow], inputs, 1);
      assert.ok(results.every((r) => r.endpoints.every((e) => e.state === 'delivered')));
      assert.equal(fast.ids.length, 20);
      assert.equal(slow.ids.length, 20);
      const total = [...reads.values()].reduce((a, b) => a + b, 0);
      // Two kept for the slow endpoint at most: the rest it reads again itself.
      assert.ok(total > 20 && total <= 40, `reads ${total}`);
    } finally {
      Object.assign(SHARED_IDLE_MAX, saved);
    }
  });

  test('the PushRequest in parts: the profile itself in the middle, not a copy; joined, the same bytes', () => {
    const labels = { __name__: 'process_cpu', service_name: 'a', env: 'ci' };
    for (const [profile, id] of [[CPU, 'id-1'], [new Uint8Array(0), 'id-2'], [HEAP, ''], [new Uint8Array(300_000).fill(7), 'x']] as const) {
      const [head, middle, tail] = pushRequestParts(labels, profile, id);
      assert.equal(middle, profile);
      assert.deepEqual(Buffer.concat([head, middle, tail]), Buffer.from(encodePushRequest(labels, profile, id)));
      const decoded = decodePushRequest(encodePushRequest(labels, profile, id));
      assert.deepEqual(Buffer.from(decoded.series[0]?.samples[0]?.rawProfile ?? []), Buffer.from(profile));
      assert.equal(decoded.series[0]?.samples[0]?.ID ?? '', id);
    }
  });

  test('inputs are read concurrently, and results and problems stay in input order', async () => {
    const dir = tempDir();
    const bad = new Set([3, 17, 18, 39]);
    for (let i = 0; i < 40; i++) writeTemp(dir, `p${String(i).padStart(2, '0')}.pb`, bad.has(i) ? 'not a profile at all' : i % 2 ? HEAP : CPU);
    const err = await push([dir], { url: 'http://127.0.0.1:1', serviceName: 'a', dryRun: true }).catch((e: unknown) => e);
    assert.ok(err instanceof ProblemsError);
    assert.deepEqual(
      err.problems.map((p) => /p(\d\d)\.pb/.exec(p)?.[1]),
      [...bad].map((i) => String(i).padStart(2, '0')),
    );
    const report = await push([dir], { url: 'http://127.0.0.1:1', serviceName: 'a', dryRun: true, skipInvalid: true });
    assert.deepEqual(
      report.profiles.map((p) => p.input.name),
      Array.from({ length: 40 }, (_, i) => i).filter((i) => !bad.has(i)).map((i) => join(dir, `p${String(i).padStart(2, '0')}.pb`)),
    );
  });

  test('connections to an endpoint: at most --concurrency (undici would open one more whenever all are busy)', async () => {
    const end = await endpoint(2);
    servers.push(end.server);
    let connections = 0;
    end.server.on('connection', () => connections++);
    const dir = tempDir();
    for (let i = 0; i < 60; i++) writeTemp(dir, `p${String(i).padStart(2, '0')}.pb`, i % 2 ? HEAP : CPU);
    const report = await push([dir], { url: end.url, serviceName: 'a', concurrency: 4 });
    assert.equal(report.results.filter((r) => r.endpoints[0]?.state === 'delivered').length, 60);
    assert.equal(end.ids.length, 60);
    assert.ok(connections >= 1 && connections <= 4, `${connections} connections`);
  });

  test("the first inputs' bytes are kept from the check to the send, within the bounds; past them, read again", async () => {
    const dir = tempDir();
    const names = ['a.pb.gz', 'b.pb', 'c.pb.gz'].map((n, i) => writeTemp(dir, n, i === 1 ? HEAP : CPU));
    const session = new ReadSession({ bounds: { inputs: 2, bytes: CPU.length + HEAP.length } });
    const inputs = [];
    for (const name of names) inputs.push(await readInput(name, NO_STDIN, undefined, {}, session));
    assert.deepEqual(inputs.map((i) => i.bytes?.length), [CPU.length, HEAP.length, undefined]);
    assert.deepEqual(inputs.map((i) => i.path), names);
    // By bytes too: a second session with room for the CPU profile only.
    const small = new ReadSession({ bounds: { inputs: 10, bytes: CPU.length } });
    const kept = [await readInput(names[0] as string, NO_STDIN, undefined, {}, small), await readInput(names[1] as string, NO_STDIN, undefined, {}, small)];
    assert.deepEqual(kept.map((i) => i.bytes !== undefined), [true, false]);
  });

  test('inputs of one kind share their facts (one copy for a bulk run); other kinds keep their own', async () => {
    const dir = tempDir();
    const session = new ReadSession();
    const [a, b, heap] = await Promise.all(
      [['a.pb.gz', CPU], ['b.pb.gz', CPU], ['h.pb', HEAP]].map(([n, bytes]) => readInput(writeTemp(dir, n as string, bytes as Buffer), NO_STDIN, undefined, {}, session)),
    );
    assert.ok(a && b && heap);
    assert.equal(a.shape, b.shape);
    assert.equal(a.sampleTypeUnits, b.sampleTypeUnits);
    assert.equal(a.sampleLabelValueBytes, b.sampleLabelValueBytes);
    assert.notEqual(a.shape, heap.shape);
    assert.deepEqual(heap.shape.sampleTypes, ['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space']);
    // Shared, never mixed: each keeps the facts of its own content.
    assert.notEqual(a.name, b.name);
    assert.equal(a.sha256, b.sha256);
  });

  test('a run of many inputs or many requests asks the process to tune V8 for it (Io.tuneV8); a short one does not', async () => {
    const folder = (n: number) => {
      const dir = tempDir();
      for (let i = 0; i < n; i++) writeTemp(dir, `p${String(i).padStart(4, '0')}.pb`, HEAP);
      return dir;
    };
    const many = folder(MANY_INPUTS);
    // Half the requests that count as many, from fewer inputs than count as many: two endpoints make them many.
    const half = folder(MANY_REQUESTS / 2);
    assert.ok(MANY_REQUESTS / 2 < MANY_INPUTS);
    const asked: string[] = [];
    const io = (name: string) => ({
      stdout: { write: () => true },
      stderr: { write: () => true },
      stdin: NO_STDIN,
      env: {},
      now: Date.now,
      signal: new AbortController().signal,
      tuneV8: { manyInputs: () => void asked.push(`${name}: inputs`), manyRequests: () => void asked.push(`${name}: requests`) },
    });
    // Nothing listens on these: the first request finds each endpoint down and the rest are not sent.
    const one = ['--url', 'http://127.0.0.1:1'];
    const two = [...one, '--url', 'http://127.0.0.1:2'];
    const args = ['--service-name', 'a', '--max-attempts', '1', '-q'];
    assert.equal(await main(['node', 'pyro-push', join(FIXTURES, 'heap.pb'), ...two, ...args], io('one file')), 1);
    assert.equal(await main(['node', 'pyro-push', many, ...one, ...args, '--dry-run'], io('many files')), 0);
    assert.equal(await main(['node', 'pyro-push', half, ...one, ...args], io('half, one endpoint')), 1);
    // A dry run sends nothing: its requests are not many.
    assert.equal(await main(['node', 'pyro-push', half, ...two, ...args, '--dry-run'], io('half, two endpoints, dry run')), 0);
    assert.equal(await main(['node', 'pyro-push', half, ...two, ...args], io('half, two endpoints')), 1);
    assert.deepEqual(asked, ['many files: inputs', 'half, two endpoints: requests']);
  });
});
