import assert from 'node:assert/strict';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { Dispatcher } from 'undici';
import { Agent, send } from '../src/transport/undici.js';
import { fixture, runCli } from './helpers.js';

const CPU = fixture('cpu.pb.gz');

/** A real HTTP server answering every request with `status` and `contentType`, counting requests. */
async function answering(status: number, contentType: string | undefined, fn: (url: string, requests: () => number) => Promise<void>) {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(status, contentType === undefined ? {} : { 'content-type': contentType });
      res.end(status === 204 ? undefined : contentType === 'text/html' ? '<!doctype html><title>Grafana</title>' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, () => requests);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('"delivered" means the Push API said so: 200 with application/proto', () => {
  const cases: Array<[string, number, string | undefined, string]> = [
    ["Grafana's UI: 200 text/html", 200, 'text/html; charset=utf-8', '200 OK after 1 attempt: not a Push API answer (content type text/html; Pyroscope answers 200 with application/proto), nothing was stored: is --url the Pyroscope server, not Grafana?'],
    ['204 No Content', 204, undefined, '204 No Content after 1 attempt: not a Push API answer (no content type; Pyroscope answers 200 with application/proto), nothing was stored: is --url a Pyroscope server?'],
    ['200 with a JSON body', 200, 'application/json', '200 OK after 1 attempt: not a Push API answer (content type application/json; Pyroscope answers 200 with application/proto), nothing was stored: is --url a Pyroscope server?'],
    ['200 with no content type', 200, undefined, '200 OK after 1 attempt: not a Push API answer (no content type; Pyroscope answers 200 with application/proto), nothing was stored: is --url a Pyroscope server?'],
  ];
  for (const [name, status, type, message] of cases)
    test(`${name}: a failure, not retried, exit 1`, () =>
      answering(status, type, async (url, requests) => {
        const run = await runCli([CPU, '--url', url, '--service-name', 'a']);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.equal(requests(), 1);
        assert.equal(run.stdout.split('\n')[0], `✖ ${CPU} → ${url}: push failed: [POST] "${url}/push.v1.PusherService/Push": ${message}`);
      }));

  test('200 application/proto (with parameters) is delivered', () =>
    answering(200, 'application/proto; charset=binary', async (url) => {
      const run = await runCli([CPU, '--url', url, '--service-name', 'a']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
    }));
});

describe('transport/undici.ts#send reads a whole answer without a stream', () => {
  /** A server whose one handler is the test's, and an Agent to it; both closed after. */
  async function serving(handle: (req: IncomingMessage, res: ServerResponse) => void, fn: (url: URL, dispatcher: Dispatcher) => Promise<void>) {
    const server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dispatcher = new Agent();
    try {
      await fn(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/push`), dispatcher);
    } finally {
      await dispatcher.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }
  const options = (dispatcher: Dispatcher, signal = new AbortController().signal) => ({ dispatcher, method: 'POST' as const, headers: { 'x-test': '1' }, body: Buffer.from('profile'), signal, keep: 8 });

  test('status and headers of the final answer (a 103 Early Hints first is passed over); the first `keep` bytes, the whole length counted', () =>
    serving(
      (req, res) => {
        let got = '';
        req.on('data', (d: Buffer) => (got += d));
        req.on('end', () => {
          res.writeEarlyHints({ link: '</style.css>; rel=preload' });
          res.writeHead(429, { 'retry-after': '7', 'x-got': `${req.headers['x-test']} ${got}` });
          res.write('too many ');
          res.end('requests, slow down');
        });
      },
      async (url, dispatcher) => {
        const answer = await send(url, options(dispatcher));
        assert.deepEqual([answer.statusCode, answer.header('retry-after'), answer.header('x-got'), answer.header('x-none')], [429, '7', '1 profile', undefined]);
        assert.deepEqual([answer.bytes.toString(), answer.total], ['too many', 28]);
      },
    ));

  test('an empty answer is empty; a signal that aborts mid-body rejects with its reason', () =>
    serving(
      (req, res) => {
        req.resume();
        req.on('end', () => {
          if (req.url !== '/push') return res.end();
          res.writeHead(200, { 'content-type': 'application/proto' });
          res.write('part');
        });
      },
      async (url, dispatcher) => {
        const empty = await send(new URL('/empty', url), options(dispatcher));
        assert.deepEqual([empty.statusCode, empty.bytes.length, empty.total], [200, 0, 0]);
        const stop = new AbortController();
        const pending = send(url, options(dispatcher, stop.signal));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const reason = new Error('stopped by the test');
        stop.abort(reason);
        await assert.rejects(pending, (err) => err === reason);
      },
    ));
});
