import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRetryAfter } from '../src/delivery/retry.js';
import { type ConnectError, parseConnectError } from '../src/protocol/connect.js';

describe('parseConnectError: only a real Connect error body counts', () => {
  const JSON_TYPE = 'application/json';
  const cases: Array<[string, string | undefined, string, ConnectError | undefined]> = [
    ['Connect JSON', JSON_TYPE, '{"code":"unavailable","message":"ingester down"}', { code: 'unavailable', message: 'ingester down' }],
    ['content type with a charset', 'application/json; charset=utf-8', '{"code":"invalid_argument","message":"bad"}', { code: 'invalid_argument', message: 'bad' }],
    ['no message', JSON_TYPE, '{"code":"internal"}', { code: 'internal', message: '' }],
    // A load balancer's own JSON: its status, not a made-up Connect code, must decide whether to retry.
    ['unknown code string', JSON_TYPE, '{"code":"UNAVAILABLE"}', undefined],
    ['code not a string', JSON_TYPE, '{"code":14,"message":"x"}', undefined],
    ['non-JSON content type', 'text/plain', '{"code":"unavailable","message":"x"}', undefined],
    ['no content type', undefined, '{"code":"unavailable","message":"x"}', undefined],
    ['invalid JSON', JSON_TYPE, '{"code":"unavailable",', undefined],
    ['JSON null', JSON_TYPE, 'null', undefined],
  ];
  for (const [name, contentType, body, expected] of cases)
    test(name, () => assert.deepEqual(parseConnectError(contentType, body), expected));
});

describe('parseRetryAfter: whole seconds or an HTTP date, nothing else', () => {
  const now = Date.parse('2026-11-25T10:00:00Z');
  // Date.parse reads "1.5" and "-1" as dates (in 2001), which would have meant "retry now".
  for (const [value, expected] of [
    ['1.5', undefined],
    ['-1', undefined],
    [' 5 ', 5000],
  ] as const)
    test(`${JSON.stringify(value)} → ${expected}`, () => assert.equal(parseRetryAfter(value, now), expected));
});
