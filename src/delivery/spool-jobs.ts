import type { Endpoint, RunConfig } from '../config/resolve.js';
import { PyroPushError } from '../errors.js';
import type { InputProfile, StdinSource } from '../sources/inputs.js';
import { forSending, readInput } from '../sources/inputs.js';
import type { Job } from './fan-out.js';
import type { ProfileResult } from './result.js';
import type { Spool, SpoolEntry } from './spool.js';

const NO_STDIN: StdinSource = { isTTY: false, read: async () => new Uint8Array() };

export interface SpoolWork {
  /** Entries claimed by this run, oldest first, each for its own endpoint. */
  jobs: Job[];
  /** Entries dropped by the bounds, or found broken: results of their own. */
  settled: ProfileResult[];
  /** Entries for endpoints this run does not have: they stay, and are said. */
  elsewhere: string[];
}

/**
 * What waits in the spool for this run's endpoints (matched by endpoint name), claimed so that no other
 * run sends it too. Bounds are applied first; every dropped entry is a result, never silent.
 */
export async function spoolWork(spool: Spool, config: RunConfig, onEntries?: (count: number) => void): Promise<SpoolWork> {
  const settled: ProfileResult[] = (await spool.enforceBounds()).map(({ entry, why }) => entryResult(entry, 'dropped', `dropped from the spool: ${why}`));
  const byName = new Map<string, Endpoint>(config.endpoints.map((e) => [e.name, e]));
  const jobs: Job[] = [];
  const elsewhere = new Map<string, number>();
  const listed = await spool.list();
  onEntries?.(listed.reduce((n, entry) => n + (byName.has(entry.endpoint.name) ? 1 : 0), 0));
  for (const entry of listed) {
    if (!byName.has(entry.endpoint.name)) {
      elsewhere.set(`${entry.endpoint.name} (${entry.endpoint.url})`, (elsewhere.get(`${entry.endpoint.name} (${entry.endpoint.url})`) ?? 0) + 1);
      continue;
    }
    if (!(await spool.claim(entry))) continue;
    let input: InputProfile;
    try {
      input = await readInput(entry.profilePath, NO_STDIN);
    } catch (err) {
      if (!(err instanceof PyroPushError)) throw err;
      await spool.reject(entry, err.message);
      settled.push(entryResult(entry, 'rejected', `the spooled profile is damaged (${err.message}); moved to rejected/`));
      continue;
    }
    jobs.push({ input: forSending({ ...input, name: `${entry.source} (spooled ${new Date(entry.spooledAt).toISOString()})` }), labels: entry.labels, fromSpool: entry });
  }
  return {
    jobs,
    settled,
    elsewhere: [...elsewhere].map(([endpoint, n]) => `${spool.dir}: ${n} spooled profile(s) for endpoint ${endpoint} stay there: that endpoint is not configured in this run`),
  };
}

function entryResult(entry: SpoolEntry, state: 'dropped' | 'rejected', error: string): ProfileResult {
  return {
    profile: entry.source,
    labels: entry.labels,
    bytes: entry.size,
    spoolEntry: entry.id,
    endpoints: [{ endpoint: entry.endpoint.name, state, ok: false, attempts: 0, error }],
  };
}
