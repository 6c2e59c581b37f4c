import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ProfileResult, type ResultState, exitCodeFor } from '../src/delivery/result.js';
import { PyroPushError, ProblemsError } from '../src/errors.js';
import { errorLines } from '../src/cli/render.js';
import { Secret, redactUrl } from '../src/secret.js';
import { inspect } from 'node:util';

const result = (...oks: boolean[]): ProfileResult => ({ profile: 'p', labels: {}, bytes: 1, endpoints: oks.map((ok) => ({ endpoint: 'e', state: ok ? 'delivered' : 'not-sent', ok, attempts: 1 })) });
const withStates = (...states: ResultState[]): ProfileResult => ({ profile: 'p', labels: {}, bytes: 1, endpoints: states.map((state) => ({ endpoint: 'e', state, ok: state === 'delivered', attempts: 1 })) });

describe('exit code is a function of the outcome', () => {
  const cases: Array<[string, Parameters<typeof exitCodeFor>[0], number]> = [
    ['every profile reached every endpoint', { results: [result(true, true), result(true, true)] }, 0],
    ['nothing to report', { results: [] }, 0],
    ['one push failed', { results: [result(true, true), result(true, false)] }, 1],
    ['one waits in the spool', { results: [withStates('delivered', 'spooled')] }, 1],
    ['one rejected by the server', { results: [withStates('rejected')] }, 1],
    ['a spool entry dropped by the bounds', { results: [withStates('delivered'), withStates('dropped')] }, 1],
    ['an input skipped, everything else delivered', { results: [withStates('delivered'), withStates('skipped')] }, 2],
    ['an input skipped and a push not delivered', { results: [withStates('skipped'), withStates('not-sent')] }, 1],
    ['a usage error', { error: new PyroPushError('USAGE', 'x') }, 2],
    ['a config error', { error: new PyroPushError('CONFIG', 'x') }, 2],
    ['input problems', { error: new ProblemsError('INPUT', ['a', 'b']) }, 2],
    ['a bug', { error: new TypeError('undefined is not a function') }, 3],
  ];
  for (const [name, outcome, code] of cases) test(`${name} → ${code}`, () => assert.equal(exitCodeFor(outcome), code));
});

describe('error lines', () => {
  test('one line per problem', () => assert.deepEqual(errorLines(new ProblemsError('INPUT', ['a: bad', 'b: bad']), false), ['error: a: bad', 'error: b: bad']));
  test('a bug says so, with its stack only when verbose', () => {
    const err = new TypeError('boom');
    assert.equal(errorLines(err, false).length, 1);
    assert.match(errorLines(err, false)[0]!, /^internal error \(a bug in pyro-push, please report it\): boom$/);
    assert.match(errorLines(err, true)[1]!, /TypeError: boom\n\s+at /);
  });
});

describe('Secret never turns into its value by accident', () => {
  const s = Secret.of('hunter2');
  for (const [how, text] of [
    ['String()', String(s)],
    ['template', `${s}`],
    ['JSON', JSON.stringify({ s })],
    ['inspect', inspect({ s })],
  ] as const)
    test(how, () => assert.ok(!text.includes('hunter2') && text.includes('<secret>'), text));
  test('reveal() gives it', () => assert.equal(s.reveal(), 'hunter2'));
  test('redactUrl hides a URL password', () => assert.equal(redactUrl('http://user:hunter2@proxy:3128/'), 'http://user:<secret>@proxy:3128/'));
});

test('redactUrl hides credentials even in a URL that does not parse', () => {
  assert.equal(redactUrl('http://user:hunter2@127.0.0.1:bad/'), 'http://user:<secret>@127.0.0.1:bad/');
  assert.equal(redactUrl('http://hunter2@host:x'), 'http://<secret>@host:x');
});
