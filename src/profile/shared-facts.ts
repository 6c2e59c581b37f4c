import type { ProfileFacts } from './pprof.js';

/** The facts that inputs from one profiler have in common: their sample types and their sample labels. */
type Alike = Pick<ProfileFacts, 'shape' | 'sampleTypeUnits' | 'sampleLabelKeys' | 'sampleLabelKeySets' | 'sampleLabelExamples' | 'sampleLabelValueBytes'>;

/** Kinds of input kept; past them (a run over very varied inputs) facts are simply not shared. */
const MAX_KINDS = 256;
/** Facts with this much in them (many sample labels) are rarely alike: not worth their key. */
const MAX_KEY_LENGTH = 4096;

/**
 * One copy of what many inputs' facts have in common. A bulk run reads thousands of profiles of a few
 * kinds, and every facts object would otherwise hold its own strings, arrays, set and map (~1.5 KiB an
 * input, 30 MiB for 20 000): equal ones are replaced by the first seen. Facts are read, never changed,
 * once an input is checked, so sharing them is safe.
 */
export class SharedFacts {
  readonly #kinds = new Map<string, Alike>();

  share<T extends ProfileFacts>(facts: T): T {
    const key = JSON.stringify([facts.shape, facts.sampleTypeUnits, [...facts.sampleLabelKeys], facts.sampleLabelKeySets, facts.sampleLabelExamples, [...facts.sampleLabelValueBytes]]);
    if (key.length > MAX_KEY_LENGTH) return facts;
    const same = this.#kinds.get(key);
    if (same) return Object.assign(facts, same);
    if (this.#kinds.size < MAX_KINDS) {
      const { shape, sampleTypeUnits, sampleLabelKeys, sampleLabelKeySets, sampleLabelExamples, sampleLabelValueBytes } = facts;
      this.#kinds.set(key, { shape, sampleTypeUnits, sampleLabelKeys, sampleLabelKeySets, sampleLabelExamples, sampleLabelValueBytes });
    }
    return facts;
  }
}
