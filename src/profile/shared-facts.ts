import { type ProfileFacts, hasNoSampleLabels, sameSampleLabelFacts } from './pprof.js';

/** The facts that inputs from one profiler have in common: their sample types and their sample labels. */
type Alike = Pick<ProfileFacts, 'shape' | 'sampleTypeUnits' | 'sampleLabelKeys' | 'sampleLabelKeySets' | 'sampleLabelExamples' | 'sampleLabelValueBytes'>;

/** Kinds of input kept; past them (a run over very varied inputs) facts are simply not shared. */
const MAX_KINDS = 256;
/** Facts with this much in them (many sample labels) are rarely alike: not worth their key. */
const MAX_KEY_LENGTH = 4096;

/**
 * One copy of what many inputs' facts have in common. A bulk run reads thousands of profiles of a few
 * kinds, and every facts object would otherwise hold its own strings, arrays, set and map (~1.5 KiB an
 * input, 30 MiB for 20 000): equal ones are replaced by the first seen. The parts shared are read, never
 * changed, once an input is checked (an input adds its name and hash to its own facts object, not to
 * them), so sharing them is safe.
 */
export class SharedFacts {
  readonly #kinds = new Map<string, Alike>();
  /** Kinds of profiles without sample labels, newest first: compared before a key is made. */
  readonly #recent: Alike[] = [];

  share<T extends ProfileFacts>(facts: T): T {
    // Without sample labels, a profile's label facts are the same objects as every such profile's
    // (pprof.ts): its kind is then told by comparing a few strings, not by the key below (~3 µs an input).
    for (const kind of this.#recent) if (sameKind(kind, facts)) return Object.assign(facts, kind);
    const key = JSON.stringify([facts.shape, facts.sampleTypeUnits, [...facts.sampleLabelKeys], facts.sampleLabelKeySets, facts.sampleLabelExamples, [...facts.sampleLabelValueBytes]]);
    if (key.length > MAX_KEY_LENGTH) return facts;
    const same = this.#kinds.get(key);
    if (same) return Object.assign(facts, same);
    if (this.#kinds.size < MAX_KINDS) {
      const { shape, sampleTypeUnits, sampleLabelKeys, sampleLabelKeySets, sampleLabelExamples, sampleLabelValueBytes } = facts;
      const kind = { shape, sampleTypeUnits, sampleLabelKeys, sampleLabelKeySets, sampleLabelExamples, sampleLabelValueBytes };
      this.#kinds.set(key, kind);
      if (hasNoSampleLabels(kind) && this.#recent.unshift(kind) > RECENT_KINDS) this.#recent.pop();
    }
    return facts;
  }
}

/** How many kinds are compared before the key is made. */
const RECENT_KINDS = 8;

/** The same kind: the very same sample-label facts, and equal sample types, units and period. */
function sameKind(a: Alike, b: Alike): boolean {
  return (
    sameSampleLabelFacts(a, b) &&
    a.shape.periodType === b.shape.periodType &&
    a.shape.periodUnit === b.shape.periodUnit &&
    sameStrings(a.shape.sampleTypes, b.shape.sampleTypes) &&
    sameStrings(a.sampleTypeUnits, b.sampleTypeUnits)
  );
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
