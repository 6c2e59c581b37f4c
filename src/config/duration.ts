import { usageError } from '../errors.js';

// Go's time.ParseDuration units plus Prometheus' d/w/y, so Alloy values paste unchanged.
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};
const MAX_MS = 2 ** 31 - 1;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w|y)/y;

/**
 * Parses `1m30s`, `500ms`, `0s`, `0`. A bare non-zero number is refused: `--timeout 10` could mean
 * seconds or milliseconds, and guessing wrong turns a retry budget into a hang.
 */
export function parseDuration(text: string | number, what: string): number {
  if (typeof text === 'number') {
    // The library's form: milliseconds.
    if (!Number.isFinite(text) || text < 0) throw usageError(`${what}: ${text} is not a duration in milliseconds (≥ 0)`);
    if (text > MAX_MS) throw usageError(`${what}: ${text}ms is longer than Node can wait (at most 24d)`);
    return Math.round(text);
  }
  const s = text.trim();
  if (s === '0') return 0;
  let total = 0;
  PART.lastIndex = 0;
  let parsed = 0;
  while (parsed < s.length) {
    const m = PART.exec(s);
    if (!m) break;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    parsed = PART.lastIndex;
  }
  if (s.length === 0 || parsed !== s.length) {
    const hint = /^\d+(\.\d+)?$/.test(s) ? ` (add a unit: ${s}s or ${s}ms)` : ' (e.g. 10s, 500ms, 1m30s)';
    throw usageError(`${what}: invalid duration "${text}"${hint}`);
  }
  // Node's timers hold at most 2³¹−1 ms (~24.8 days); a longer one would silently become 1 ms.
  if (total > MAX_MS) throw usageError(`${what}: "${text}" is longer than Node can wait (at most 24d)`);
  return Math.round(total);
}

/**
 * 90000 → "1m30s", 188902 → "3m8.902s", 350 → "350ms": Go's Duration.String, so that what --help and
 * messages show reads as a duration and can be pasted back.
 */
export function formatDuration(msValue: number): string {
  const ms = Math.round(msValue);
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const seconds = s === 0 && (h > 0 || m > 0) ? '' : `${Number(s.toFixed(3))}s`;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${seconds}`.replace(/^(\d+h)0m$/, '$1');
}
