import { usageError } from '../errors.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3 };

/** `512MiB`, `1GB`, `100M` (binary), `4096`, or a number of bytes from the library. */
export function parseSize(value: string | number, what: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw usageError(`${what}: ${value} is not a number of bytes`);
    return value;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = UNITS[m?.[2]?.toLowerCase() ?? 'x'];
  if (!m || unit === undefined) throw usageError(`${what}: "${value}" is not a size (e.g. 512MiB, 1GB, 100M)`);
  return Math.round(Number(m[1]) * unit);
}
