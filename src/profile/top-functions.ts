import type { Profile } from 'pprof-format';

/** One function's share of a sample type, as `pprof -top` shows it. */
export interface FunctionCost {
  /** The function's name (its system name when it has none; `0x…` for a location without lines). */
  name: string;
  /** The source file of the first function entry seen with that name ('' when unknown). */
  file: string;
  /** Value of the samples whose leaf location's first line is this function. */
  flat: number;
  /** Value of the samples with this function anywhere in their stack, counted once per sample. */
  cum: number;
}

export interface TopFunctions {
  /** The sample type ranked by (`cpu`), its unit (`nanoseconds`) and its index among the sample types. */
  sampleType: string;
  unit: string;
  index: number;
  /** Sum of that value over every sample: what `flat` and `cum` are shares of. */
  total: number;
  /** Distinct functions found in the samples' stacks. */
  functionCount: number;
  /** Highest flat first (then cum, then name). */
  byFlat: FunctionCost[];
  /** Highest cum first (then flat, then name). */
  byCum: FunctionCost[];
}

type Numeric = number | bigint;

const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;

/**
 * A pprof int64 as a number: pprof-format reads varints as unsigned, so a negative value (a delta
 * profile's) arrives as 2^64 - n and is turned back here.
 */
export function int64(value: Numeric | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  return Number(value >= TWO_63 ? value - TWO_64 : value);
}

/** A map key for an id that may be a number or a bigint. */
const idKey = (id: Numeric): string => String(id);

/**
 * The functions that cost the most by one sample type (the first by default). Flat is charged to the
 * first line of the leaf location (the innermost inlined function); cum to every function on the stack,
 * once per sample however often it recurs. Never throws on a broken profile: an unknown location,
 * function or string is skipped or named as best it can be.
 */
export function topFunctions(profile: Profile, opts: { limit?: number; index?: number } = {}): TopFunctions {
  const limit = opts.limit ?? 10;
  const index = opts.index ?? 0;
  const strings = profile.stringTable.strings;
  const text = (i: Numeric | undefined): string => (i === undefined ? '' : (strings[Number(i)] ?? ''));
  const type = profile.sampleType[index];

  const functions = new Map<string, { name: string; file: string }>();
  for (const f of profile.function) {
    const name = text(f.name) || text(f.systemName) || `<function ${idKey(f.id)}>`;
    functions.set(idKey(f.id), { name, file: text(f.filename) });
  }
  /** Per location id, the names on it, innermost first (deduplicated later per sample). */
  const frames = new Map<string, Array<{ name: string; file: string }>>();
  for (const loc of profile.location) {
    const names = loc.line.map((l) => functions.get(idKey(l.functionId)) ?? { name: `<function ${idKey(l.functionId)}>`, file: '' });
    frames.set(idKey(loc.id), names.length > 0 ? names : [{ name: `0x${BigInt(loc.address).toString(16)}`, file: '' }]);
  }

  const costs = new Map<string, FunctionCost>();
  const cost = (frame: { name: string; file: string }): FunctionCost => {
    let c = costs.get(frame.name);
    if (!c) costs.set(frame.name, (c = { name: frame.name, file: frame.file, flat: 0, cum: 0 }));
    return c;
  };
  let total = 0;
  const seen = new Set<FunctionCost>();
  for (const sample of profile.sample) {
    const value = int64(sample.value[index]);
    total += value;
    seen.clear();
    sample.locationId.forEach((id, depth) => {
      const stack = frames.get(idKey(id)) ?? [{ name: `<location ${idKey(id)}>`, file: '' }];
      stack.forEach((frame, line) => {
        const c = cost(frame);
        if (depth === 0 && line === 0) c.flat += value;
        if (!seen.has(c)) {
          seen.add(c);
          c.cum += value;
        }
      });
    });
  }

  const all = [...costs.values()];
  const byName = (a: FunctionCost, b: FunctionCost) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    sampleType: text(type?.type),
    unit: text(type?.unit),
    index,
    total,
    functionCount: all.length,
    byFlat: [...all].sort((a, b) => b.flat - a.flat || b.cum - a.cum || byName(a, b)).slice(0, limit),
    byCum: [...all].sort((a, b) => b.cum - a.cum || b.flat - a.flat || byName(a, b)).slice(0, limit),
  };
}
