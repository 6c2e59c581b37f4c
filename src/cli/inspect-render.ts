/** `pyro-push inspect`'s human output: a compact block per profile, colour on a terminal only. */
import { formatLabels } from '../profile/labels.js';
import type { FunctionCost, TopFunctions } from '../profile/top-functions.js';
import { type Paint, plural } from './paint.js';
import { type ProfileReport, formatNanos } from '../profile/inspect.js';

const KEY_WIDTH = 15;

/** One compact block per input: a head line, then `key  value` lines aligned on one column. */
export function block(r: ProfileReport, paint: Paint): string[] {
  const lines = [`${paint('bold', r.profile)}  ${r.accepted ? paint('green', '✔ would be accepted') : paint('red', '✖ would be refused')}`];
  const row = (key: string, value: string) => lines.push(`  ${key.padEnd(KEY_WIDTH)}${value}`);
  const more = (value: string) => lines.push(`  ${''.padEnd(KEY_WIDTH)}${value}`);
  const b = r.bytes;
  const sizes = [b.uncompressed !== null && r.format !== 'raw' ? `${bytesText(b.uncompressed)} ${r.format === 'collapsed' ? 'as pprof' : 'uncompressed'}` : '', b.encoded !== null ? `${bytesText(b.encoded)} as the server counts it` : ''].filter(Boolean);
  row('format', `${r.format ?? 'unknown'}, ${bytesText(b.given ?? 0)}${sizes.length ? ` (${sizes.join(', ')})` : ''}${misnamed(r)}`);
  if (r.sampleTypes.length > 0) {
    const dflt = r.defaultSampleType ? paint('dim', ` (default ${r.defaultSampleType})`) : '';
    row('sample types', `${r.sampleTypes.map((t) => `${t.type}/${t.unit}`).join(', ')}${dflt}`);
  }
  if (r.period) row('period', `${r.period.value} ${r.period.type}/${r.period.unit}${timeUnit(r.period.unit) && r.period.value > 0 ? paint('dim', ` (${valueText(r.period.value, r.period.unit)})`) : ''}`);
  if (r.profileName.derived || r.profileName.reason || r.profileName.sent) {
    const { derived, sent, reason } = r.profileName;
    if (derived && (!sent || sent === derived)) row('__name__', `${derived} ${paint('dim', '(from the sample types)')}`);
    else if (derived && sent) row('__name__', `${sent} ${paint('dim', `(from the flags; the sample types say ${derived})`)}`);
    else if (sent) row('__name__', `${sent} ${paint('dim', `(from the flags; the sample types cannot tell it)`)}`);
    else row('__name__', paint('red', `cannot be derived: ${reason}`));
  }
  if (r.time.nanos !== null) row('time', timeText(r, paint));
  if (r.time.durationNanos !== null) row('duration', r.time.duration ?? paint('dim', 'not set'));
  if (r.samples.count !== null) row('samples', `${r.samples.count}${r.samples.stored !== null ? paint('dim', ` (${r.samples.stored} kept by the server)`) : ''}`);
  if (r.format !== null && r.samples.count !== null) {
    if (r.sampleLabels.length === 0) row('sample labels', paint('dim', 'none'));
    r.sampleLabels.forEach((l, i) =>
      (i === 0 ? (v: string) => row('sample labels', v) : more)(`${l.key === '' ? '""' : printable(l.key)}: ${plural(l.samples, 'sample')}, ${plural(l.values, 'value')} ${paint('dim', `→ ${l.use}`)}`),
    );
  }
  if (r.labels) {
    // The server adds each group's sample labels to its series (pkg/model/pprofsplit).
    const fromSamples = r.sampleLabels.filter((l) => l.use === 'series label').map((l) => printable(l.key));
    row('series labels', `${formatLabels(r.labels)}${fromSamples.length ? paint('dim', ` + ${fromSamples.join(', ')} from the samples`) : ''}`);
  }
  r.warnings.forEach((w, i) => (i === 0 ? (v: string) => row('warnings', v) : more)(paint('yellow', withoutName(w, r.profile))));
  if (r.server) row('server answer', `${r.server.status} ${r.server.code}: ${r.server.message}`);
  r.refused.forEach((p, i) => (i === 0 ? (v: string) => row('refused', v) : more)(paint('red', withoutName(p, r.profile))));
  if (r.topFunctions) lines.push(...topLines(r.topFunctions, paint));
  return lines;
}

function topLines(top: TopFunctions, paint: Paint): string[] {
  const head = `  ${'top functions'.padEnd(KEY_WIDTH)}by ${top.sampleType}/${top.unit}, total ${valueText(top.total, top.unit)}${paint('dim', `, ${plural(top.functionCount, 'function')}`)}`;
  if (top.byFlat.length === 0) return [head];
  const cells = top.byFlat.map((f: FunctionCost) => [valueText(f.flat, top.unit), percent(f.flat, top.total), valueText(f.cum, top.unit), percent(f.cum, top.total)]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(['flat', 'flat%', 'cum', 'cum%'][i]?.length ?? 0, ...cells.map((c) => c[i]?.length ?? 0)));
  const fmt = (c: string[]) => c.map((v, i) => v.padStart(widths[i] ?? 0)).join('  ');
  const pad = ''.padEnd(KEY_WIDTH + 2);
  return [head, `${pad}${paint('dim', `${fmt(['flat', 'flat%', 'cum', 'cum%'])}  function`)}`, ...top.byFlat.map((f, i) => `${pad}${fmt(cells[i] ?? [])}  ${printable(f.name)}`)];
}

function timeText(r: ProfileReport, paint: Paint): string {
  const { window, iso } = r.time;
  if (window === 'overridden') return `${iso ?? 'not set'} ${paint('dim', '(replaced by the time of sending: --override-timestamp)')}`;
  if (window === 'not-set' || iso === null) return paint('dim', 'not set (the server uses the time it receives it)');
  if (window === 'inside') return `${iso} ${paint('dim', '(inside the ingestion window)')}`;
  return `${iso} ${paint('yellow', '(outside the ingestion window: the last hour to 10 minutes ahead)')}`;
}

/** Real profiles are often named `.gz` and raw inside, or the other way round: the bytes decide. */
function misnamed(r: ProfileReport): string {
  const gzName = /\.gz$/i.test(r.profile);
  if (r.format === 'raw' && gzName) return ' — named .gz, raw inside (told by its bytes)';
  return '';
}

const MAX_NAME = 120;

/** A name from the profile, safe on a terminal: control characters escaped, very long names cut. */
export function printable(name: string): string {
  const safe = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return safe.length > MAX_NAME ? `${safe.slice(0, MAX_NAME - 1)}…` : safe;
}

function withoutName(line: string, name: string): string {
  return line.startsWith(`${name}: `) ? line.slice(name.length + 2) : line;
}

function percent(part: number, total: number): string {
  return total === 0 ? '-' : `${((100 * part) / total).toFixed(1)}%`;
}

const NANOS: Record<string, number> = { nanoseconds: 1, microseconds: 1e3, milliseconds: 1e6, seconds: 1e9 };
const timeUnit = (unit: string): number | undefined => NANOS[unit];

/** A sample value in its unit: durations and bytes read as such, anything else as a number. */
export function valueText(value: number, unit: string): string {
  const scale = timeUnit(unit);
  if (scale !== undefined) return formatNanos(value * scale);
  if (unit === 'bytes') return bytesText(value);
  return String(value);
}

/** `171 B`, `1.2 KiB`, `3.4 MiB`. */
export function bytesText(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1024) return `${n} B`;
  if (abs < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (abs < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GiB`;
}
