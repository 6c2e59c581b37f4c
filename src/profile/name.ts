import { basename } from 'node:path';

export interface ProfileShape {
  sampleTypes: string[];
  periodType: string;
  periodUnit: string;
}

const MEMORY = /^(alloc_|inuse_)|^(space|objects)$/;
const TIME_UNITS = new Set(['nanoseconds', 'microseconds', 'milliseconds', 'seconds']);

/**
 * `__name__` from the profile's sample types (the union of the server's /ingest rules and profilecli's).
 * Go's block and mutex profiles are the same shape (contentions/count, delay/nanoseconds), so for those
 * the file name decides when it says `block` or `mutex`; otherwise the caller must be told to pass it.
 */
export function deriveProfileName(shape: ProfileShape, inputName: string): string | undefined {
  const types = shape.sampleTypes.map((t) => t.toLowerCase());
  const has = (test: (t: string) => boolean) => types.some(test);
  if (has((t) => t.includes('cpu'))) return 'process_cpu';
  if (has((t) => t.includes('wall'))) return 'wall';
  if (has((t) => MEMORY.test(t))) return 'memory';
  if (has((t) => t === 'goroutine' || t === 'goroutines')) return 'goroutine';
  if (has((t) => t.startsWith('mutex_'))) return 'mutex';
  if (has((t) => t.startsWith('block_'))) return 'block';
  if (has((t) => t === 'contentions' || t === 'delay')) {
    const file = basename(inputName).toLowerCase();
    if (file.includes('mutex')) return 'mutex';
    if (file.includes('block')) return 'block';
    return undefined;
  }
  // Pyroscope's own spies (py-spy, rbspy) write only samples/count with a time period: that is CPU.
  if (types.length > 0 && types.every((t) => t === 'samples') && TIME_UNITS.has(shape.periodUnit)) return 'process_cpu';
  return undefined;
}
