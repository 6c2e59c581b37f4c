/**
 * Writes fixtures/*.pb* — small pprof profiles of each kind pyro-push must recognise, made here with
 * pprof-format so that the project's own fixtures owe nothing to anyone's test data.
 * time_nanos is 0 ("now" to the server) so that they are never outside the ingestion window.
 * Run: node --import tsx scripts/make-fixtures.ts
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Function as Fn, Label, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';

function profile(types: Array<[string, string]>, period: [string, string], samples: number, sampleLabels: Array<[string, string]> = []): Uint8Array {
  const st = new StringTable();
  const fns = ['main', 'work', 'compute'].map((name, i) => new Fn({ id: i + 1, name: st.dedup(name), filename: st.dedup('main.go') }));
  const locations = fns.map((f, i) => new Location({ id: i + 1, line: [new Line({ functionId: f.id, line: 10 + i })] }));
  const p = new Profile({
    stringTable: st,
    sampleType: types.map(([t, u]) => new ValueType({ type: st.dedup(t), unit: st.dedup(u) })),
    periodType: new ValueType({ type: st.dedup(period[0]), unit: st.dedup(period[1]) }),
    period: 10_000_000,
    function: fns,
    location: locations,
    sample: Array.from({ length: samples }, (_, i) =>
      new Sample({
        locationId: [3, 2, 1].slice(0, 1 + (i % 3)),
        value: types.map((_, j) => (i + 1) * (j + 1)),
        label: sampleLabels.map(([k, v]) => new Label({ key: st.dedup(k), str: st.dedup(v) })),
      }),
    ),
    timeNanos: 0,
  });
  return p.encode();
}

const out = (name: string, bytes: Uint8Array) => writeFileSync(new URL(`../fixtures/${name}`, import.meta.url), bytes);
out('cpu.pb.gz', gzipSync(profile([['samples', 'count'], ['cpu', 'nanoseconds']], ['cpu', 'nanoseconds'], 5)));
out('heap.pb', profile([['alloc_objects', 'count'], ['alloc_space', 'bytes'], ['inuse_objects', 'count'], ['inuse_space', 'bytes']], ['space', 'bytes'], 4));
out('contentions.pb.gz', gzipSync(profile([['contentions', 'count'], ['delay', 'nanoseconds']], ['contentions', 'count'], 2)));
out('custom.pb.gz', gzipSync(profile([['requests', 'count']], ['requests', 'count'], 2)));
out('labelled.pb.gz', gzipSync(profile([['cpu', 'nanoseconds']], ['cpu', 'nanoseconds'], 2, [['span_id', 'a1'], ['endpoint', '/api']])));
out('bad/not-a-profile.txt', new TextEncoder().encode('this is not a profile\n'));
out('bad/truncated.pb.gz', gzipSync(profile([['cpu', 'nanoseconds']], ['cpu', 'nanoseconds'], 3)).subarray(0, 40));
out('bad/empty.pb', new Uint8Array());
