import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDuration, parseDuration } from '../src/config/duration.js';

describe('parseDuration accepts Go/Alloy syntax', () => {
  for (const [text, ms] of [
    ['10s', 10_000], ['500ms', 500], ['1m30s', 90_000], ['5m', 300_000], ['1h', 3_600_000], ['1.5s', 1500],
    ['0', 0], ['0s', 0], ['2h45m', 9_900_000], ['1d', 86_400_000], ['250us', 0], ['1500us', 2], [' 3s ', 3000],
  ] as const)
    test(`${text} = ${ms}ms`, () => assert.equal(parseDuration(text, '--timeout'), ms));
});

describe('parseDuration refuses what it cannot read, naming the flag', () => {
  for (const [text, hint] of [
    ['10', /--timeout: invalid duration "10" \(add a unit: 10s or 10ms\)/],
    ['1.5', /add a unit/],
    ['ten seconds', /e\.g\. 10s, 500ms, 1m30s/],
    ['10 s', /invalid duration/],
    ['5x', /invalid duration/],
    ['', /invalid duration/],
    ['-1s', /invalid duration/],
  ] as const)
    test(JSON.stringify(text), () => assert.throws(() => parseDuration(text, '--timeout'), hint));
});

describe('formatDuration writes what parseDuration reads', () => {
  for (const [ms, text] of [[0, '0s'], [500, '500ms'], [1000, '1s'], [90_000, '1m30s'], [3_600_000, '1h'], [1500, '1.5s'], [188_902, '3m8.902s'], [3_600_500, '1h0m0.5s'], [60_000, '1m']] as const)
    test(`${ms} → ${text}`, () => {
      assert.equal(formatDuration(ms), text);
      assert.equal(parseDuration(text, 'x'), ms);
    });
});
