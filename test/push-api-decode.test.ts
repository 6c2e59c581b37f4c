import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { PushRequestSchema } from '../src/protocol/gen/push/v1/push_pb.js';
import { decodePushRequest } from '../src/protocol/push-api-decode.js';
import { encodePushRequest } from '../src/protocol/push-api.js';
import { fixture } from './helpers.js';

type Pairs = Array<{ name: string; value: string }>;
type Series = { labels: Pairs; samples: Array<{ rawProfile: Uint8Array; ID: string }> };

/** What a decoder made of a body, or how it refused it: the two decoders must agree on every body. */
function outcome(decode: (body: Uint8Array) => { series: Series[] }, body: Uint8Array) {
  try {
    const { series } = decode(body);
    return { series: series.map((s) => ({ labels: s.labels.map((l) => [l.name, l.value]), samples: s.samples.map((x) => [Buffer.from(x.rawProfile).toString('hex'), x.ID]) })) };
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}
const generated = (body: Uint8Array) => outcome((b) => fromBinary(PushRequestSchema, b), body);
const wire = (body: Uint8Array) => outcome(decodePushRequest, body);

const encode = (series: Series[]) => toBinary(PushRequestSchema, create(PushRequestSchema, { series }));
const cpu = new Uint8Array(readFileSync(fixture('cpu.pb.gz')));
const heap = new Uint8Array(readFileSync(fixture('heap.pb')));
const many: Pairs = Array.from({ length: 40 }, (_, i) => ({ name: `label_${i}`, value: `value ${i} `.repeat(i) }));

/** Every kind of field a newer sender might add, which both must skip: varint, fixed64, bytes, a group, fixed32. */
function unknownFields(): Uint8Array {
  const w = new BinaryWriter();
  w.tag(7, WireType.Varint).uint64(2n ** 63n);
  w.tag(8, WireType.Bit64).fixed64(42n);
  w.tag(9, WireType.LengthDelimited).bytes(new Uint8Array([1, 2, 3]));
  w.tag(10, WireType.StartGroup).tag(1, WireType.Varint).int32(5).tag(10, WireType.EndGroup);
  w.tag(11, WireType.Bit32).fixed32(7);
  return w.finish();
}

/** A body written by hand, with unknown fields at every level when asked. */
function handWritten(series: Array<{ labels: Pairs; samples: Array<[Uint8Array, string]> }>, unknown: boolean): Uint8Array {
  const LEN = WireType.LengthDelimited;
  const w = new BinaryWriter();
  if (unknown) w.raw(unknownFields());
  for (const s of series) {
    w.tag(1, LEN).fork();
    if (unknown) w.raw(unknownFields());
    for (const { name, value } of s.labels) {
      w.tag(1, LEN).fork().tag(1, LEN).string(name);
      if (unknown) w.raw(unknownFields());
      w.tag(2, LEN).string(value).join();
    }
    for (const [profile, id] of s.samples) {
      w.tag(2, LEN).fork();
      if (unknown) w.raw(unknownFields());
      w.tag(1, LEN).bytes(profile).tag(2, LEN).string(id).join();
    }
    w.join();
  }
  if (unknown) w.raw(unknownFields());
  return w.finish();
}

/** Unknown groups (field 3) nested `depth` deep, in a series (`inside` = []), a label ([1]) or a sample ([2]). */
function nestedGroups(depth: number, inside: number[]): Uint8Array {
  const groups = new Uint8Array([...Array(depth).fill(0x1b), ...Array(depth).fill(0x1c)]);
  const w = new BinaryWriter().tag(1, WireType.LengthDelimited).fork();
  for (const field of inside) w.tag(field, WireType.LengthDelimited).fork();
  w.raw(groups);
  for (let i = 0; i < inside.length; i++) w.join();
  return w.join().finish();
}

const VALID: Record<string, Uint8Array> = {
  'no series': new Uint8Array(0),
  'one empty series': encode([{ labels: [], samples: [] }]),
  'empty series around a full one': encode([{ labels: [], samples: [] }, { labels: [{ name: '__name__', value: 'process_cpu' }], samples: [{ rawProfile: cpu, ID: 'a' }] }, { labels: [], samples: [] }]),
  'a sample with nothing in it': encode([{ labels: [{ name: 'a', value: '' }, { name: '', value: 'b' }], samples: [{ rawProfile: new Uint8Array(0), ID: '' }] }]),
  'many labels, many samples': encode([{ labels: many, samples: [{ rawProfile: cpu, ID: '1' }, { rawProfile: heap, ID: '2' }, { rawProfile: cpu, ID: '' }] }]),
  'several series': encode([{ labels: many.slice(0, 3), samples: [{ rawProfile: heap, ID: 'x' }] }, { labels: many.slice(5, 9), samples: [{ rawProfile: cpu, ID: 'y' }] }]),
  'unicode and a duplicate name': encode([{ labels: [{ name: 'sérvice.名前', value: 'значение 🚀' }, { name: 'k', value: '\u0000\uFFFD' }, { name: 'k', value: 'again' }], samples: [{ rawProfile: cpu, ID: 'ü' }] }]),
  "the sender's own body (cpu.pb.gz)": encodePushRequest({ __name__: 'process_cpu', __delta__: 'false', service_name: 'api' }, cpu, '0b7c4b3c-6d2e-4c1a-9f7e-3a1d2c3b4a5f'),
  "the sender's own body (heap.pb)": encodePushRequest({ __name__: 'memory', service_name: 'api', env: 'ci' }, heap, ''),
  'unknown fields at every level': handWritten([{ labels: many.slice(0, 4), samples: [[cpu, 'id'], [heap, '']] }, { labels: [], samples: [] }], true),
  'labels and samples interleaved': (() => {
    const LEN = WireType.LengthDelimited;
    const w = new BinaryWriter().tag(1, LEN).fork();
    w.tag(2, LEN).fork().tag(1, LEN).bytes(cpu).join();
    w.tag(1, LEN).fork().tag(2, LEN).string('v').tag(1, LEN).string('n').join();
    w.tag(2, LEN).fork().tag(2, LEN).string('id').tag(1, LEN).bytes(heap).join();
    return w.join().finish();
  })(),
  // fromBinary's recursion limit (100) leaves this much at each depth.
  'unknown groups nested 99 deep': new Uint8Array([...Array(99).fill(0x1b), ...Array(99).fill(0x1c)]),
  'unknown groups nested 98 deep in a series': nestedGroups(98, []),
  'unknown groups nested 97 deep in a label': nestedGroups(97, [1]),
  'unknown groups nested 97 deep in a sample': nestedGroups(97, [2]),
  // fromBinary reads a known field by its number alone, whatever wire type its tag says.
  'a series tagged as a varint': new Uint8Array([0x08, 0x02, 0x08, 0x00]),
  'a field written twice: the last wins': (() => {
    const LEN = WireType.LengthDelimited;
    return new BinaryWriter().tag(1, LEN).fork().tag(2, LEN).fork().tag(1, LEN).bytes(cpu).tag(2, LEN).string('first').tag(1, LEN).bytes(heap).tag(2, LEN).string('second').join().join().finish();
  })(),
};

for (const [name, body] of Object.entries(VALID))
  test(`the wire decoder reads what fromBinary reads: ${name}`, () => {
    const ours = wire(body);
    assert.ok('series' in ours, JSON.stringify(ours));
    assert.deepEqual(ours, generated(body));
  });

test('the wire decoder gives the profile as a view into the body, not a copy', () => {
  const body = VALID["the sender's own body (cpu.pb.gz)"] as Uint8Array;
  const profile = decodePushRequest(body).series[0]?.samples[0]?.rawProfile as Uint8Array;
  assert.equal(profile.buffer, body.buffer);
  assert.deepEqual(Buffer.from(profile), Buffer.from(cpu));
});

const MALFORMED: Record<string, number[] | Uint8Array> = {
  'a length past the end': [0x0a, 0x05, 0x0a],
  'field number 0': [0x02, 0x00],
  'wire type 6': [0x0e],
  'wire type 7 inside a series': [0x0a, 0x01, 0x0f],
  'an end-group tag with no group': [0x0c],
  'a group that never ends': [0x0b, 0x08, 0x01],
  'a group closed by another field number': [0x1b, 0x24],
  'a tag that overflows uint32': [0xff, 0xff, 0xff, 0xff, 0x7f],
  'a varint of 11 bytes': [0x08, ...Array(10).fill(0xff), 0x01],
  'a truncated varint': [0x08, 0xff],
  'invalid UTF-8 in a label name': [0x0a, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0xc3, 0x28],
  'invalid UTF-8 in an ID': [0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0xff, 0xfe],
  'unknown groups nested 100 deep': [...Array(100).fill(0x1b), ...Array(100).fill(0x1c)],
  'unknown groups nested 99 deep in a series': nestedGroups(99, []),
  'unknown groups nested 98 deep in a label': nestedGroups(98, [1]),
  'unknown groups nested 98 deep in a sample': nestedGroups(98, [2]),
};

for (const [name, bytes] of Object.entries(MALFORMED))
  test(`a malformed body is refused, in fromBinary's words: ${name}`, () => {
    const body = new Uint8Array(bytes);
    const ours = wire(body);
    assert.ok('error' in ours, `${name} was read: ${JSON.stringify(ours)}`);
    assert.deepEqual(ours, generated(body));
  });

test('both decoders agree on every truncation and on thousands of corrupted bodies', () => {
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let refused = 0;
  for (const [name, body] of Object.entries(VALID)) {
    const tries: Uint8Array[] = [];
    for (let end = 0; end < Math.min(body.length, 400); end++) tries.push(body.subarray(0, end));
    for (let i = 0; i < 300; i++) {
      const bad = Uint8Array.from(body);
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
      tries.push(bad);
    }
    for (const body of tries) {
      const ours = wire(body);
      if ('error' in ours) refused++;
      assert.deepEqual(ours, generated(body), `${name}: ${Buffer.from(body).toString('hex')}`);
    }
  }
  assert.ok(refused > 1000, `only ${refused} bodies refused: the corruption does not reach the checks`);
});
