import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelCountProblem, labelProblems, labelsFromFlags, mergeLabels, parseLabelFlag, sortedPairs } from '../src/profile/labels.js';

describe('parseLabelFlag', () => {
  for (const [input, expected] of [
    ['env=ci', ['env', 'ci']],
    ['a=b=c', ['a', 'b=c']],
    ['env=', ['env', '']],
    [' env = x', [' env ', ' x']], // taken as written: no silent trimming of one side only
  ] as const)
    test(`${input} → ${JSON.stringify(expected)}`, () => assert.deepEqual(parseLabelFlag(input), expected));
  for (const bad of ['env', '=x', ''])
    test(`"${bad}" is refused with a hint`, () => assert.throws(() => parseLabelFlag(bad), /expected name=value/));
});

test('the same label twice on one command line is an error naming it', () => {
  assert.throws(() => labelsFromFlags([['env', 'a'], ['env', 'b']]), /label env given twice \(by --label, --service-name or --profile-name\); keep one/);
});

describe("mergeLabels follows Alloy's rule", () => {
  const cases: Array<[string, Record<string, string>, Record<string, string>, Record<string, string>]> = [
    ['external labels win', { __name__: 'process_cpu', env: 'a' }, { env: 'b' }, { __name__: 'process_cpu', env: 'b' }],
    ['an empty external value deletes', { __name__: 'memory', env: 'a' }, { env: '' }, { __name__: 'memory' }],
    ['reserved profile labels are dropped', { __name__: 'x', __delta__: 'false', __session_id__: '1', __x: 'y' }, {}, { __name__: 'x', __delta__: 'false' }],
    ['external __name__ overrides the derived one', { __name__: 'process_cpu' }, { __name__: 'wall' }, { __name__: 'wall' }],
    ['deleting a missing label is harmless', { a: '1' }, { b: '' }, { a: '1' }],
  ];
  for (const [name, profile, external, expected] of cases) test(name, () => assert.deepEqual(mergeLabels(profile, external), expected));
});

describe('labelProblems', () => {
  const ok = { legacyNames: false };
  const cases: Array<[string, Record<string, string>, boolean, RegExp | null]> = [
    ['good labels', { __name__: 'process_cpu', service_name: 'api', 'k8s.pod': 'x' }, false, null],
    ['any UTF-8 name by default', { 'ключ': 'v', __name__: 'x' }, false, null],
    ['legacy mode refuses other characters', { 'my-label': 'v' }, true, /outside \[A-Za-z0-9_\.\]/],
    ['empty name', { '': 'v' }, false, /empty name/],
    ['lone surrogate in a value', { a: '\ud800' }, false, /not valid UTF-8/],
    ['name over 1024 bytes', { ['n'.repeat(1025)]: 'v' }, false, /1025 bytes; the server allows 1024/],
    ['value over 2048 bytes (counted in UTF-8)', { a: 'é'.repeat(1025) }, false, /2050 bytes; the server allows 2048/],
  ];
  for (const [name, labels, legacy, expected] of cases)
    test(name, () => {
      const problems = labelProblems(labels, { ...ok, legacyNames: legacy });
      if (expected === null) assert.deepEqual(problems, []);
      else assert.match(problems.join('\n'), expected);
    });
});

describe('labelCountProblem counts sample label keys with series labels', () => {
  const labels = Object.fromEntries(Array.from({ length: 28 }, (_, i) => [`l${i}`, 'v']));
  test('30 names pass', () => assert.equal(labelCountProblem(labels, new Set(['a', 'b'])), undefined));
  test('a key already a series label counts once', () => assert.equal(labelCountProblem(labels, new Set(['l0', 'a', 'b'])), undefined));
  test('31 names fail', () => assert.match(labelCountProblem(labels, new Set(['a', 'b', 'c'])) ?? '', /31 label names \(28 series labels, 3 more from sample labels\); the server allows 30/));
});

test('sortedPairs puts __name__ first, then by name', () => {
  assert.deepEqual(
    sortedPairs({ z: '1', __name__: 'n', a: '2', __delta__: 'false' }).map((p) => p.name),
    ['__name__', '__delta__', 'a', 'z'],
  );
});
