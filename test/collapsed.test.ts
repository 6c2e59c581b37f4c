import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { Profile } from 'pprof-format';
import { PyroPushError } from '../src/errors.js';
import {
  type CollapsedOptions,
  CollapsedBuilder,
  MAX_LINE_BYTES,
  convertCollapsed,
  convertCollapsedFile,
  convertCollapsedStream,
  parseSampleRate,
} from '../src/profile/collapsed.js';
import { FORMATS_UNDERSTOOD, detectFormat, identifyInput, parseFormat, sniffFormat, unknownFormatMessage } from '../src/profile/formats.js';
import { deriveProfileName } from '../src/profile/name.js';
import { inspectBytes } from '../src/profile/inspect.js';
import { ProfileError, decodeProfile } from '../src/profile/pprof.js';
import { readInput } from '../src/sources/inputs.js';
import { FIXTURES, ROOT, SHARED_PROFILES, tempDir } from './helpers.js';

const SHARED_FORMATS = join(ROOT, '../shared/formats');
const COLLAPSED = join(FIXTURES, 'collapsed');
const shared = (name: string) => join(SHARED_FORMATS, name);
const missing = (path: string) => (existsSync(path) ? false : `${path} is not there`);

/** The profile's stacks back as collapsed text, root first: `stack → values`. */
function stacksOf(bytes: Uint8Array): Map<string, number[]> {
  const profile = Profile.decode(gunzipSync(bytes));
  const strings = profile.stringTable.strings;
  const fnName = new Map(profile.function.map((f) => [Number(f.id), strings[Number(f.name)]]));
  const locName = new Map(profile.location.map((l) => [Number(l.id), fnName.get(Number(l.line[0]?.functionId))]));
  const out = new Map<string, number[]>();
  for (const s of profile.sample) {
    const key = s.locationId.map((id) => locName.get(Number(id))).reverse().join(';');
    assert.equal(out.has(key), false, `stack ${key} appears twice`);
    out.set(key, s.value.map(Number));
  }
  return out;
}

/** The same, computed from the text directly: the last token is the count, identical stacks summed. */
function expectedStacks(text: string): { stacks: Map<string, number>; frames: Set<string>; total: number } {
  const stacks = new Map<string, number>();
  const frames = new Set<string>();
  let total = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(.*?)\s+(\d+)$/.exec(line);
    assert.ok(m, `test input line ${line}`);
    const [, stack = '', count = ''] = m;
    stacks.set(stack, (stacks.get(stack) ?? 0) + Number(count));
    for (const f of stack.split(';')) frames.add(f);
    total += Number(count);
  }
  return { stacks, frames, total };
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProfileError || err instanceof PyroPushError, `a ProfileError, not ${String(err)}`);
    return err.message;
  }
  assert.fail('no error thrown');
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  assert.fail('no error thrown');
}

describe('a gzip whose content is over 256 MiB: one line, from the pprof check and from the collapsed reader', () => {
  // 257 gzip members of 1 MiB of zeros each: ~260 KiB to hold, 257 MiB inflated.
  const bomb = Buffer.concat(Array.from({ length: 257 }, () => gzipSync(Buffer.alloc(1024 * 1024))));
  const line = 'gunzipped it is over 256 MiB; not a profile the server takes';
  test('decodeProfile', () => assert.throws(() => decodeProfile(bomb), { name: 'ProfileError', message: line }));
  test('convertCollapsed', () => assert.throws(() => convertCollapsed(bomb), { name: 'ProfileError', message: line }));
});

describe('collapsed stacks: real perf output (../shared/formats)', () => {
  const cases: Array<[string, { lines: number; stacks: number; samples: number; frames: number }]> = [
    ['perf-numa-collapsed.txt', { lines: 17, stacks: 17, samples: 199, frames: 50 }],
    ['perf-dd-collapsed.txt', { lines: 9, stacks: 9, samples: 101010100, frames: 16 }],
  ];
  for (const [name, summary] of cases) {
    test(name, { skip: missing(shared(name)) }, () => {
      const text = readFileSync(shared(name), 'utf8');
      const want = expectedStacks(text);
      assert.equal(want.total, summary.samples);
      assert.equal(want.frames.size, summary.frames);

      const plain = convertCollapsed(readFileSync(shared(name)));
      assert.deepEqual(plain.summary, summary);
      const facts = decodeProfile(plain.bytes);
      assert.deepEqual(facts.sampleTypeUnits, ['samples/count']);
      assert.equal(facts.sampleCount, summary.stacks);
      assert.equal(facts.gzipped, true);
      assert.equal(facts.timeNanos, 0n);
      // Without a rate it is only counts: the user names it (--profile-name).
      assert.equal(deriveProfileName(facts.shape, name), undefined);
      assert.deepEqual(stacksOf(plain.bytes), new Map([...want.stacks].map(([k, v]) => [k, [v]])));
      const profile = Profile.decode(gunzipSync(plain.bytes));
      assert.equal(profile.function.length, summary.frames);
      assert.equal(profile.location.length, summary.frames);
      assert.equal(profile.sample.reduce((sum, s) => sum + Number(s.value[0]), 0), summary.samples);

      const cpu = convertCollapsed(readFileSync(shared(name)), { sampleRateHz: 99 });
      assert.deepEqual(cpu.summary, { ...summary, periodNanos: 10101010 });
      const cpuFacts = decodeProfile(cpu.bytes);
      assert.deepEqual(cpuFacts.sampleTypeUnits, ['samples/count', 'cpu/nanoseconds']);
      assert.deepEqual(cpuFacts.shape, { sampleTypes: ['samples', 'cpu'], periodType: 'cpu', periodUnit: 'nanoseconds' });
      assert.equal(deriveProfileName(cpuFacts.shape, name), 'process_cpu');
      assert.deepEqual(stacksOf(cpu.bytes), new Map([...want.stacks].map(([k, v]) => [k, [v, v * 10101010]])));
      assert.equal(Number(Profile.decode(gunzipSync(cpu.bytes)).period), 10101010);
    });
  }

  test('perf-numa: a sample lists its locations leaf first', { skip: missing(shared('perf-numa-collapsed.txt')) }, () => {
    const { bytes } = convertCollapsed(readFileSync(shared('perf-numa-collapsed.txt')));
    const profile = Profile.decode(gunzipSync(bytes));
    const strings = profile.stringTable.strings;
    const name = (locationId: number | bigint) => strings[Number(profile.function[Number(locationId) - 1]?.name)];
    const first = profile.sample[0];
    assert.ok(first);
    assert.deepEqual(first.locationId.map(name), ['[perf-10939.map]', 'java-?']);
    assert.deepEqual(first.value.map(Number), [23]);
    const second = profile.sample[1];
    assert.ok(second);
    assert.equal(name(second.locationId[0] as number), 'find_next_bit');
    assert.equal(name(second.locationId.at(-1) as number), 'java-?');
    assert.equal(second.locationId.length, 24);
  });
});

describe('collapsed stacks: output styles of several profilers (fixtures/collapsed)', () => {
  test('async-profiler collapsed: _[j]/_[i]/_[k] kept in names, identical stacks merged, thread frames', () => {
    const { bytes, summary } = convertCollapsed(readFileSync(join(COLLAPSED, 'async-profiler.collapsed')), { sampleRateHz: 100 });
    assert.deepEqual(summary, { lines: 5, stacks: 4, samples: 30, frames: 14, periodNanos: 10000000 });
    const stacks = stacksOf(bytes);
    assert.deepEqual(stacks.get('[main tid=1];java/lang/Thread.run;com/example/shop/Server.loop;com/example/shop/Handler.handle_[j];com/example/shop/Cart.total_[j]'), [17, 170000000]);
    assert.deepEqual(
      stacks.get('[worker-2 tid=17];java/lang/Thread.run;java/util/concurrent/ThreadPoolExecutor$Worker.run;com/example/shop/Mailer.send_[j];sun/nio/ch/SocketDispatcher.write0;__GI___libc_write;entry_SYSCALL_64_after_hwframe_[k];do_syscall_64_[k];ksys_write_[k]'),
      [8, 80000000],
    );
    assert.deepEqual(stacks.get('[main tid=1];java/lang/Thread.run;com/example/shop/Server.loop;com/example/shop/Handler.handle_[j];java/util/HashMap.get_[i]'), [3, 30000000]);
    assert.equal(stacks.size, 4);
    assert.equal(deriveProfileName(decodeProfile(bytes).shape, 'async-profiler.collapsed'), 'process_cpu');
  });

  test('py-spy --format raw: frames with spaces, parentheses, quotes and non-ASCII names', () => {
    const { bytes, summary } = convertCollapsed(readFileSync(join(COLLAPSED, 'py-spy-raw.txt')));
    assert.deepEqual(summary, { lines: 5, stacks: 5, samples: 83, frames: 11 });
    const stacks = stacksOf(bytes);
    assert.deepEqual(stacks.get('process 4242:"python3 app.py";<module> (app.py:40);main (app.py:33);serve (server.py:88);accept (socket.py:293)'), [40]);
    assert.deepEqual(stacks.get('process 4242:"python3 app.py";<module> (app.py:40);main (app.py:33);grüße (i18n.py:3)'), [3]);
    const strings = Profile.decode(gunzipSync(bytes)).stringTable.strings;
    assert.deepEqual(strings.slice(0, 4), ['', 'samples', 'count', 'process 4242:"python3 app.py"']);
  });

  test('py-spy raw gzipped: the same profile, byte for byte', () => {
    const plain = convertCollapsed(readFileSync(join(COLLAPSED, 'py-spy-raw.txt')));
    const gz = convertCollapsed(readFileSync(join(COLLAPSED, 'py-spy-raw.txt.gz')));
    assert.deepEqual(gz.summary, plain.summary);
    assert.deepEqual(Buffer.from(gz.bytes), Buffer.from(plain.bytes));
  });

  test('stackcollapse-perf with CRLF, blank lines, a # comment, trailing spaces and a tab before the count', () => {
    const { bytes, summary } = convertCollapsed(readFileSync(join(COLLAPSED, 'stackcollapse-perf-crlf.folded')));
    assert.deepEqual(summary, { lines: 4, stacks: 3, samples: 197, frames: 17 });
    const stacks = stacksOf(bytes);
    assert.deepEqual(stacks.get('swapper;secondary_startup_64_[k];cpu_startup_entry_[k];do_idle_[k];default_idle_call_[k]'), [160]);
    assert.deepEqual(stacks.get('nginx;main;ngx_worker_process_cycle;ngx_process_events_and_timers;ngx_event_accept;accept4;entry_SYSCALL_64_[k];__sys_accept4_[k]'), [6]);
    const strings = Profile.decode(gunzipSync(bytes)).stringTable.strings;
    assert.equal(strings.some((s) => /[\r\n\t]/.test(s) || s !== s.trim()), false);
  });

  test('a frame that appears at several depths is one function and one location', () => {
    const { bytes, summary } = convertCollapsed('main;a;main 2\nmain;b 1\n');
    assert.deepEqual(summary, { lines: 2, stacks: 2, samples: 3, frames: 3 });
    const profile = Profile.decode(gunzipSync(bytes));
    assert.deepEqual(profile.sample.map((s) => s.locationId.map(Number)), [[1, 2, 1], [3, 1]]);
    assert.deepEqual(profile.location.map((l) => [Number(l.id), Number(l.line[0]?.functionId)]), [[1, 1], [2, 2], [3, 3]]);
    assert.deepEqual(profile.function.map((f) => profile.stringTable.strings[Number(f.name)]), ['main', 'a', 'b']);
    assert.deepEqual(profile.function.map((f) => profile.stringTable.strings[Number(f.systemName)]), ['main', 'a', 'b']);
  });

  test('a byte-order mark, zero counts beside others, time_nanos and duration_nanos', () => {
    const opts: CollapsedOptions = { timeNanos: 1_700_000_000_000_000_000n, durationNanos: 10_000_000_000n };
    const { bytes, summary } = convertCollapsed('\uFEFFa;b 0\na;c 4\n', opts);
    assert.deepEqual(summary, { lines: 2, stacks: 1, samples: 4, frames: 3 });
    const profile = Profile.decode(gunzipSync(bytes));
    assert.equal(BigInt(profile.timeNanos), 1_700_000_000_000_000_000n);
    assert.equal(BigInt(profile.durationNanos), 10_000_000_000n);
    assert.deepEqual([...stacksOf(bytes)], [['a;c', [4]]]);
  });

  test('a sample rate gives cpu/nanoseconds = count × round(1e9/Hz), and the period', () => {
    for (const [hz, period] of [[99, 10101010], [100, 10000000], [19, 52631579], [1000, 1000000], [0.5, 2000000000]] as const) {
      const { bytes, summary } = convertCollapsed('a;b 7\n', { sampleRateHz: hz });
      assert.equal(summary.periodNanos, period);
      assert.deepEqual(stacksOf(bytes).get('a;b'), [7, 7 * period]);
      const profile = Profile.decode(gunzipSync(bytes));
      assert.equal(Number(profile.period), period);
      const s = profile.stringTable.strings;
      assert.deepEqual([s[Number(profile.periodType?.type)], s[Number(profile.periodType?.unit)]], ['cpu', 'nanoseconds']);
    }
    assert.equal(parseSampleRate('99'), 99);
    assert.equal(parseSampleRate(' 49.5 '), 49.5);
  });

  test('the same input gives the same bytes', () => {
    const a = convertCollapsed(readFileSync(join(COLLAPSED, 'async-profiler.collapsed')));
    const b = convertCollapsed(readFileSync(join(COLLAPSED, 'async-profiler.collapsed')));
    assert.deepEqual(Buffer.from(a.bytes), Buffer.from(b.bytes));
  });
});

describe('collapsed stacks: streaming', () => {
  test('chunks of one byte (a UTF-8 character split across chunks) give the same profile as the whole text', async () => {
    const text = readFileSync(join(COLLAPSED, 'py-spy-raw.txt'));
    async function* bytewise() {
      for (const b of text) yield Uint8Array.of(b);
    }
    const streamed = await convertCollapsedStream(bytewise());
    const whole = convertCollapsed(text);
    assert.deepEqual(streamed.summary, whole.summary);
    assert.deepEqual(Buffer.from(streamed.bytes), Buffer.from(whole.bytes));
  });

  test('a file of 300 000 lines (and its gzip) is read as a stream: memory follows distinct stacks', async () => {
    const dir = tempDir();
    const path = join(dir, 'big.folded');
    const lines: string[] = [];
    for (let i = 0; i < 300_000; i++) lines.push(`main;worker ${i % 7};step_[k];leaf${i % 50} ${(i % 3) + 1}\r`);
    const text = `${lines.join('\n')}\n`;
    writeFileSync(path, text);
    writeFileSync(`${path}.gz`, gzipSync(text));
    const want = { lines: 300_000, stacks: 350, samples: 600_000, frames: 59 }; // main, worker 0–6, step_[k], leaf0–49
    let first = 0; // the stack of i = 0, 350, 700, …
    for (let i = 0; i < 300_000; i += 350) first += (i % 3) + 1;
    const plain = await convertCollapsedFile(path, { sampleRateHz: 100 });
    assert.deepEqual(plain.summary, { ...want, periodNanos: 10000000 });
    const gz = await convertCollapsedFile(`${path}.gz`, { sampleRateHz: 100 });
    assert.deepEqual(Buffer.from(gz.bytes), Buffer.from(plain.bytes));
    assert.equal(decodeProfile(plain.bytes).sampleCount, 350);
    assert.deepEqual(stacksOf(plain.bytes).get('main;worker 0;step_[k];leaf0'), [first, first * 10000000]);
  });

  test('errors name the line in a stream too; a damaged gzip and a stop are said', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.folded'), 'a;b 1\n'.repeat(5000) + 'a;b\n');
    assert.equal((await rejection(convertCollapsedFile(join(dir, 'bad.folded')))).message, 'line 5001: expected "frame;frame count" (no count after the stack)');
    writeFileSync(join(dir, 'cut.folded.gz'), gzipSync('a;b 1\n'.repeat(5000)).subarray(0, 60));
    assert.equal((await rejection(convertCollapsedFile(join(dir, 'cut.folded.gz')))).message, 'gzip data is damaged (unexpected end of file); re-create the file');
    const stopped = await rejection(convertCollapsedFile(join(COLLAPSED, 'py-spy-raw.txt'), {}, AbortSignal.abort()));
    assert.equal(stopped.name, 'AbortError');
    assert.equal((await rejection(convertCollapsedFile(join(dir, 'nothing-here')))).message.startsWith('ENOENT'), true);
  });
});

describe('collapsed stacks: every error, exactly', () => {
  const cases: Array<[string, string | Uint8Array, string]> = [
    ['empty input', '', 'empty input; expected collapsed stacks ("frame;frame;frame count" per line)'],
    ['empty bytes', new Uint8Array(), 'empty input; expected collapsed stacks ("frame;frame;frame count" per line)'],
    ['only blank lines and comments', '\n  \r\n# a comment\n', 'no stacks in 3 lines (only blank lines and # comments); expected "frame;frame;frame count" per line'],
    ['one blank line', ' ', 'no stacks in 1 line (only blank lines and # comments); expected "frame;frame;frame count" per line'],
    ['a line without a count', readFileSync(join(COLLAPSED, 'bad-no-count.txt')), 'line 2: expected "frame;frame count" (no count after the stack)'],
    ['a count that is a word', 'a;b 1\n\na;b x\n', 'line 3: expected "frame;frame count" ("x" is not a count)'],
    ['a fractional count', 'a;b 1.5', 'line 1: expected "frame;frame count" ("1.5" is not a count)'],
    ['a negative count', 'a;b -3', 'line 1: expected "frame;frame count" ("-3" is not a count)'],
    ['a long non-count is cut short', `a ${'y'.repeat(60)}`, `line 1: expected "frame;frame count" ("${'y'.repeat(40)}…" is not a count)`],
    ['a count alone', '42\n', 'line 1: expected "frame;frame count" (a count without a stack)'],
    ['a differential folded line', 'a;b 3 4', 'line 1: expected "frame;frame count" (two counts: a differential folded file?)'],
    ['an empty frame in the middle', 'a;;b 3', 'line 1: expected "frame;frame count" (an empty frame (";;" or ";" at an end))'],
    ['an empty frame at the start', ';a 3', 'line 1: expected "frame;frame count" (an empty frame (";;" or ";" at an end))'],
    ['an empty frame at the end', 'a; 3', 'line 1: expected "frame;frame count" (an empty frame (";;" or ";" at an end))'],
    ['a count past 2^53', 'a 9007199254740993', 'line 1: expected "frame;frame count" (counts add up to more than 2^53)'],
    ['counts that add up past 2^53', 'a 9007199254740000\nb 9007199254740000', 'line 2: expected "frame;frame count" (counts add up to more than 2^53)'],
    ['every count 0', 'a 0\nb;c 0\n', 'every count is 0 in 2 stack lines; no samples to push'],
    ['invalid UTF-8', Uint8Array.of(0x61, 0x20, 0x31, 0x0a, 0x62, 0xff, 0x20, 0x31), 'line 2: not valid UTF-8 (the server refuses such names)'],
    ['a damaged gzip', gzipSync('a;b 1\n'.repeat(100)).subarray(0, 20), 'gzip data is damaged (unexpected end of file); re-create the file'],
  ];
  for (const [name, input, message] of cases) test(name, () => assert.equal(errorOf(() => convertCollapsed(input)), message));

  test('a line longer than 8 MiB', () => {
    assert.equal(errorOf(() => convertCollapsed(Buffer.alloc(MAX_LINE_BYTES + 1, 0x61))), 'line 1: longer than 8 MiB; not a stack');
    const long = Buffer.concat([Buffer.from('a 1\n'), Buffer.alloc(MAX_LINE_BYTES + 1, 0x61), Buffer.from(' 1\n')]);
    assert.equal(errorOf(() => convertCollapsed(long)), 'line 2: longer than 8 MiB; not a stack');
  });

  test('a sample rate that is not a frequency', () => {
    for (const bad of ['0', 'abc', '-5', '', '1e3', '2000000000'])
      assert.equal(errorOf(() => parseSampleRate(bad)), `sample rate ${JSON.stringify(bad)} is not a frequency in Hz (a number above 0, at most 1000000000, e.g. 99 or 100)`);
    for (const bad of [0, -1, Number.NaN, Infinity, 2e9])
      assert.equal(errorOf(() => new CollapsedBuilder({ sampleRateHz: bad })), `sample rate ${JSON.stringify(String(bad))} is not a frequency in Hz (a number above 0, at most 1000000000, e.g. 99 or 100)`);
  });
});

describe('input formats by content', () => {
  test('every profile in ../shared/profiles is pprof', { skip: missing(SHARED_PROFILES) }, () => {
    const files = readdirSync(SHARED_PROFILES).filter((f) => f !== 'README.md');
    assert.equal(files.length, 16);
    for (const f of files) assert.equal(detectFormat(readFileSync(join(SHARED_PROFILES, f))), 'pprof', f);
    assert.equal(detectFormat(readFileSync(join(SHARED_PROFILES, 'README.md'))), 'unknown');
  });

  test('../shared/formats: JFR (gzipped and raw), its labels snapshot is not a profile, perf collapsed', { skip: missing(SHARED_FORMATS) }, () => {
    const jfr = readFileSync(shared('java-dump1.jfr.gz'));
    const { inflated, ...detected } = sniffFormat(jfr);
    assert.deepEqual(detected, { format: 'jfr', gzipped: true });
    // Inflated whole by the sniff: handed on, so that the input is not inflated a second time.
    assert.deepEqual(inflated, gunzipSync(jfr));
    assert.deepEqual(sniffFormat(gunzipSync(jfr)), { format: 'jfr', gzipped: false });
    assert.deepEqual({ ...sniffFormat(readFileSync(shared('java-dump1.labels.pb.gz'))), inflated: undefined }, { format: 'unknown', gzipped: true, inflated: undefined });
    assert.deepEqual(sniffFormat(readFileSync(shared('perf-numa-collapsed.txt'))), { format: 'collapsed', gzipped: false });
    assert.deepEqual(sniffFormat(readFileSync(shared('perf-dd-collapsed.txt'))), { format: 'collapsed', gzipped: false });
    assert.equal(sniffFormat(gzipSync(readFileSync(shared('perf-dd-collapsed.txt')))).format, 'collapsed');
    assert.equal(detectFormat(readFileSync(shared('README.md'))), 'unknown');
  });

  test('the project fixtures', () => {
    const want: Record<string, ReturnType<typeof detectFormat>> = {
      'collapsed/async-profiler.collapsed': 'collapsed',
      'collapsed/py-spy-raw.txt': 'collapsed',
      'collapsed/py-spy-raw.txt.gz': 'collapsed',
      'collapsed/stackcollapse-perf-crlf.folded': 'collapsed',
      'collapsed/bad-no-count.txt': 'collapsed', // its first line is a stack; line 2 is refused when converting
      'contentions.pb.gz': 'pprof',
      'cpu.pb.gz': 'pprof',
      'custom.pb.gz': 'pprof',
      'heap.pb': 'pprof',
      'labelled.pb.gz': 'pprof',
      'bad/empty.pb': 'unknown',
      'bad/not-a-profile.txt': 'unknown',
      // A gzip cut short is left to the pprof check, which names the damage.
      'bad/truncated.pb.gz': 'pprof',
    };
    for (const [file, format] of Object.entries(want)) assert.equal(detectFormat(readFileSync(join(FIXTURES, file))), format, file);
    assert.deepEqual(readdirSync(COLLAPSED).sort(), Object.keys(want).filter((f) => f.startsWith('collapsed/')).map((f) => f.slice(10)).sort());
  });

  test('binary input the sniff would not call pprof is still checked as pprof: the check, like the server, decides', async () => {
    // A sample type with a field profile.proto does not have: the server's decoder skips it and takes the
    // profile; the sniff's look at sample types is stricter. A push reads it as pprof, sending what the server takes.
    const valueType = new BinaryWriter().uint32((1 << 3) | WireType.Varint).int64(1).uint32((2 << 3) | WireType.Varint).int64(2).uint32((3 << 3) | WireType.Varint).int64(7).finish();
    const sample = new BinaryWriter().uint32((2 << 3) | WireType.Varint).int64(5).finish();
    const w = new BinaryWriter().uint32((1 << 3) | WireType.LengthDelimited).bytes(valueType).uint32((2 << 3) | WireType.LengthDelimited).bytes(sample);
    for (const s of ['', 'samples', 'count']) w.uint32((6 << 3) | WireType.LengthDelimited).string(s);
    const bytes = w.finish();
    assert.equal(detectFormat(bytes), 'unknown');
    assert.deepEqual(decodeProfile(bytes).sampleTypeUnits, ['samples/count']);
    const file = join(tempDir(), 'extra-field.pb');
    writeFileSync(file, bytes);
    const stdin = { isTTY: false, read: async () => new Uint8Array() };
    assert.equal((await readInput(file, stdin)).format, 'pprof');
    // `inspect` reads it as a push does.
    const settings = { externalLabels: { service_name: 'a' }, legacyLabelNames: false, strict: false, overrideTimestamp: false, profileName: { value: 'wall', force: false } };
    const report = inspectBytes(file, bytes, settings, Date.now());
    assert.deepEqual([report.format, report.accepted, report.refused], ['raw', true, []]);
    // What is none of the formats is still said to be none of them, as the sniff says it.
    writeFileSync(file, 'hello\x01world');
    await assert.rejects(readInput(file, stdin), { message: `${file}: ${unknownFormatMessage(readFileSync(file))}` });
    assert.deepEqual(inspectBytes(file, readFileSync(file), settings, Date.now()).refused, [`${file}: ${unknownFormatMessage(readFileSync(file))}`]);
  });

  test('converted profiles are pprof; edge cases of the sniff', () => {
    assert.equal(detectFormat(convertCollapsed('a;b 1').bytes), 'pprof');
    assert.equal(detectFormat(gunzipSync(convertCollapsed('a;b 1').bytes)), 'pprof');
    // A first stack deeper than the sniffed head is still collapsed, gzipped or not.
    const deep = `${Array.from({ length: 5000 }, (_, i) => `com/example/Deep.recurse${i}_[j]`).join(';')} 3\n`;
    assert.equal(detectFormat(Buffer.from(deep)), 'collapsed');
    assert.equal(detectFormat(gzipSync(deep)), 'collapsed');
    assert.equal(convertCollapsed(deep).summary.frames, 5000);
    assert.equal(detectFormat(Buffer.from('# only a comment\n\nmain;work 12\n')), 'collapsed');
    assert.equal(detectFormat(Buffer.from('\uFEFFmain;work 12\r\n')), 'collapsed');
    assert.equal(detectFormat(Buffer.from('hello\nworld\n')), 'unknown');
    assert.equal(detectFormat(Buffer.from('a;b 1\u0000\n')), 'unknown');
    assert.equal(detectFormat(Uint8Array.of(0xff, 0xfe, 0x00, 0x01)), 'unknown');
    assert.equal(detectFormat(Buffer.from('FLR\0\0\x02\0\0')), 'jfr');
    assert.equal(detectFormat(gzipSync('')), 'unknown');
    assert.equal(detectFormat(Uint8Array.of(0x1f, 0x8b, 0x00, 0x00)), 'pprof');
  });

  test('a head of the input (partial: a file is not read twice) is enough', { skip: missing(SHARED_FORMATS) }, () => {
    const head = (bytes: Uint8Array, n: number) => sniffFormat(bytes.subarray(0, n), { partial: true });
    const lines = Array.from({ length: 20_000 }, (_, i) => `main;work${i % 13};leaf${i} ${i + 1}`).join('\n');
    assert.deepEqual(head(Buffer.from(lines), 100), { format: 'collapsed', gzipped: false });
    for (const n of [4096, 20_000, 65536]) {
      assert.deepEqual(head(Buffer.from(lines), n), { format: 'collapsed', gzipped: false }, `plain ${n}`);
      assert.deepEqual(head(gzipSync(lines), n), { format: 'collapsed', gzipped: true }, `gzipped ${n}`);
      assert.deepEqual(head(readFileSync(shared('java-dump1.jfr.gz')), n), { format: 'jfr', gzipped: true }, `jfr ${n}`);
      assert.deepEqual(head(readFileSync(join(SHARED_PROFILES, 'go-heap-large.pb.gz')), n), { format: 'pprof', gzipped: true }, `heap ${n}`);
      assert.deepEqual(head(gunzipSync(readFileSync(join(SHARED_PROFILES, 'go-heap-large.pb.gz'))), n), { format: 'pprof', gzipped: false }, `raw heap ${n}`);
    }
    // Cut inside a two-byte character: still text.
    const umlauts = Buffer.from('main;grüße 3\n');
    assert.deepEqual(head(umlauts, 8), { format: 'collapsed', gzipped: false });
    // Too little of a gzip to see anything: left to the pprof check.
    assert.deepEqual(head(gzipSync(lines), 12), { format: 'pprof', gzipped: true });
  });

  test('--format: forced values and a refusal listing them', () => {
    assert.equal(parseFormat('collapsed'), 'collapsed');
    assert.equal(parseFormat('JFR'), 'jfr');
    assert.equal(parseFormat('pprof'), 'pprof');
    assert.equal(errorOf(() => parseFormat('folded')), '--format "folded" is not a format pyro-push reads; use one of: pprof, collapsed, jfr');
    assert.equal(identifyInput(Buffer.from('hello\n'), 'collapsed').format, 'collapsed');
    assert.equal(identifyInput(readFileSync(join(FIXTURES, 'cpu.pb.gz'))).format, 'pprof');
    assert.equal(identifyInput(readFileSync(join(COLLAPSED, 'py-spy-raw.txt.gz')).subarray(0, 100), undefined, { partial: true }).format, 'collapsed');
  });

  test('an input in no format understood is one line listing them', () => {
    assert.equal(
      FORMATS_UNDERSTOOD,
      'pprof (gzipped or not), collapsed stacks ("frame;frame;frame count" per line) or JFR (Java Flight Recorder)',
    );
    assert.equal(
      errorOf(() => identifyInput(readFileSync(join(FIXTURES, 'bad/not-a-profile.txt'))).format),
      `not a pprof profile (no protobuf message; is it text, or truncated?), collapsed stacks or a JFR recording; pyro-push reads ${FORMATS_UNDERSTOOD}; --format forces one`,
    );
    assert.equal(errorOf(() => identifyInput(new Uint8Array()).format), `empty input; expected ${FORMATS_UNDERSTOOD}`);
    assert.equal(unknownFormatMessage(Buffer.from('x')).includes('\n'), false);
  });
});
