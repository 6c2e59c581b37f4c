import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
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
