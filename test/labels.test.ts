import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { labelCountProblem, labelProblems, labelsFromFlags, mergeLabels, parseLabelFlag, sampleLabelProblems, sortedPairs } from '../src/profile/labels.js';

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
    ['legacy mode refuses other characters', { 'my-label': 'v' }, true, /^label name "my-label" is refused by servers before v2 \("invalid label name"\): it has "-"; only \[A-Za-z0-9_\.\] are allowed \(drop --strict-label-names for servers ≥ v2\)$/],
    ['legacy mode: a leading digit, named as such', { '1abc': 'v' }, true, /^label name "1abc" is refused by servers before v2 \("invalid label name"\): it starts with a digit/],
    ['legacy mode: a digit later is fine', { a1: 'v' }, true, null],
    ['legacy mode: a leading dot is fine (it becomes _)', { '.foo': 'v' }, true, null],
    ['legacy mode: dots are fine', { 'k8s.pod': 'v' }, true, null],
    ['legacy mode: a dotted name clashing after renaming, values differ', { 'a.b': 'x', a_b: 'y' }, true, /^label "a\.b" becomes "a_b" on servers before v2, which then has two values \("y", "x"\): "duplicate label name after label name sanitization"/],
    ['legacy mode: the same clash with the same value is merged', { 'a.b': 'x', a_b: 'x' }, true, null],
    ['legacy mode: __name__ is not checked', { __name__: 'my-profile' }, true, null],
    ['default mode takes dashes and leading digits', { 'my-label': 'v', '1abc': 'v' }, false, null],
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

describe('labelCountProblem counts per group of samples, as the server does', () => {
  const labels = { service_name: 'a', ...Object.fromEntries(Array.from({ length: 27 }, (_, i) => [`l${i}`, 'v'])) };
  test('30 names pass', () => assert.equal(labelCountProblem(labels, [['a', 'b']]), undefined));
  test('a key already a series label counts once', () => assert.equal(labelCountProblem(labels, [['l0', 'a', 'b']]), undefined));
  test('two groups of 2 keys each pass where their union would not', () => assert.equal(labelCountProblem(labels, [['a', 'b'], ['c', 'd']]), undefined));
  test('31 names in one group fail', () =>
    assert.equal(labelCountProblem(labels, [['a'], ['a', 'b', 'c']]), '31 label names on one series (28 series labels, 3 more from one group of sample labels (a, b, c)); the server allows 30'));
  test('the service_name the server adds counts', () => {
    const { service_name: _, ...noService } = labels;
    assert.equal(labelCountProblem(noService, [['a', 'b', 'c']]), '31 label names on one series (28 series labels, counting the service_name the server adds, 3 more from one group of sample labels (a, b, c)); the server allows 30');
  });
});

describe('sampleLabelProblems: sample labels become series labels', () => {
  const facts = (keys: string[], bytes: Array<[string, number]> = []) => ({ sampleLabelKeys: new Set(keys), sampleLabelKeySets: [keys], sampleLabelValueBytes: new Map(bytes) });
  const cases: Array<[string, ReturnType<typeof facts>, boolean, string[], string[]]> = [
    ['good keys', facts(['thread', 'k8s.pod'], [['thread', 10]]), false, [], []],
    ['a value of 2048 bytes is fine', facts(['sql'], [['sql', 2048]]), false, [], []],
    ['a value of 2049 bytes is refused', facts(['sql'], [['sql', 2049]]), false, ['sample label sql: a value is 2049 bytes; the server allows 2048 ("label value too long")'], []],
    ['a key of 1025 bytes is refused', facts(['k'.repeat(1025)]), false, [`sample label "${'k'.repeat(40)}…": its name is 1025 bytes; the server allows 1024 ("label name too long")`], []],
    ['legacy: a dashed key is refused', facts(['thread-id']), true, ['sample label "thread-id" is refused by servers before v2 ("invalid label name"): it has "-"; only [A-Za-z0-9_.] are allowed (drop --strict-label-names for servers ≥ v2)'], []],
    ['default: a dashed key is fine', facts(['thread-id']), false, [], []],
    ['legacy: a dotted key clashing with a series label warns', facts(['env.name']), true, [], ['sample label "env.name" becomes "env_name" on servers before v2, as does another label: refused there ("duplicate label name after label name sanitization") unless both have the same value']],
  ];
  for (const [name, f, legacy, problems, warnings] of cases)
    test(name, () => assert.deepEqual(sampleLabelProblems({ __name__: 'x', env_name: 'e' }, f, { legacyNames: legacy }), { problems, warnings }));
  test('a key that is a series label is the series label: not checked', () =>
    assert.deepEqual(sampleLabelProblems({ sql: 'short' }, facts(['sql'], [['sql', 5000]]), { legacyNames: false }), { problems: [], warnings: [] }));
});

test('sortedPairs puts __name__ first, then by name', () => {
  assert.deepEqual(
    sortedPairs({ z: '1', __name__: 'n', a: '2', __delta__: 'false' }).map((p) => p.name),
    ['__name__', '__delta__', 'a', 'z'],
  );
});
