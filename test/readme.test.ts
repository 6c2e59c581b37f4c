import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { README, withTable } from '../scripts/readme-flags.js';

test('the README flag table matches --help (run npm run readme)', () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(readme, withTable(readme));
});

test('the README quick start has the two commands', () => {
  const readme = readFileSync(README, 'utf8');
  assert.match(readme, /npm test/);
  assert.match(readme, /pyro-push\.cjs receive/);
});
