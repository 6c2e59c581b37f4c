import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { type Labels, sortedPairs } from '../src/profile/labels.js';
import { PushRequestSchema } from '../src/protocol/gen/push/v1/push_pb.js';
import { decodePushRequest } from '../src/protocol/push-api-decode.js';
import { encodePushRequest } from '../src/protocol/push-api.js';
import { fixture } from './helpers.js';

/** What the generated messages write for the same request: the reference the wire writer must equal. */
function generated(labels: Labels, profile: Uint8Array, id: string): Uint8Array {
  return toBinary(PushRequestSchema, create(PushRequestSchema, { series: [{ labels: sortedPairs(labels), samples: [{ rawProfile: profile, ID: id }] }] }));
}

const manyLabels: Labels = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`label_${i}`, `value ${i} `.repeat(i)]));
const LABEL_SETS: Record<string, Labels> = {
  typical: { __name__: 'process_cpu', __delta__: 'false', service_name: 'api', env: 'ci' },
  empty: {},
  unicode: { __name__: 'memory', 'sérvice.名前': 'значение 🚀', 'ключ': '', emoji: '👩‍💻\u0000\uFFFD' },
  'empty value': { __name__: 'wall', service_name: '' },
  'many labels, long values': { __name__: 'process_cpu', ...manyLabels, long: 'x'.repeat(2048), ['n'.repeat(1024)]: 'v' },
};

const PROFILES: Record<string, Uint8Array> = {
  empty: new Uint8Array(0),
  'one byte': new Uint8Array([0]),
  'cpu.pb.gz': readFileSync(fixture('cpu.pb.gz')),
  'heap.pb': readFileSync(fixture('heap.pb')),
  // Past every varint length boundary of the field's size (1 to 4 bytes).
  '3 MiB of noise': randomBytes(3 * 1024 * 1024 + 17),
  '70 MiB of zeros': new Uint8Array(70 * 1024 * 1024),
};

const IDS = ['0b7c4b3c-6d2e-4c1a-9f7e-3a1d2c3b4a5f', ''];

for (const [labelName, labels] of Object.entries(LABEL_SETS))
  test(`PushRequest bytes equal the generated encoder's: ${labelName} labels, every profile and id`, () => {
    for (const [profileName, profile] of Object.entries(PROFILES))
      for (const id of IDS) {
        const ours = encodePushRequest(labels, profile, id);
        const theirs = generated(labels, profile, id);
        assert.ok(Buffer.from(ours).equals(Buffer.from(theirs)), `${labelName} × ${profileName} × id ${JSON.stringify(id)}: ${ours.length} vs ${theirs.length} bytes`);
      }
  });

test('what the wire writer writes decodes to the labels, profile and id given, labels in wire order', () => {
  const labels = LABEL_SETS.unicode as Labels;
  const profile = PROFILES['cpu.pb.gz'] as Uint8Array;
  const req = decodePushRequest(encodePushRequest(labels, profile, 'id-1'));
  assert.equal(req.series.length, 1);
  const series = req.series[0];
  assert.deepEqual(series?.labels.map((l) => [l.name, l.value]), sortedPairs(labels).map((l) => [l.name, l.value]));
  assert.equal(series?.samples.length, 1);
  assert.ok(Buffer.from(series?.samples[0]?.rawProfile ?? []).equals(Buffer.from(profile)));
  assert.equal(series?.samples[0]?.ID, 'id-1');
});

test('a request that cannot be written leaves nothing of itself in the writer the next one uses', () => {
  const labels = LABEL_SETS.typical as Labels;
  const profile = PROFILES['heap.pb'] as Uint8Array;
  // A length no uint32 holds: the series' length throws after its tag is written.
  const tooLong = { byteLength: 2 ** 32 } as Uint8Array;
  assert.throws(() => encodePushRequest(labels, tooLong, 'id-1'), /uint32/);
  assert.deepEqual(encodePushRequest(labels, profile, 'id-2'), generated(labels, profile, 'id-2'));
});
