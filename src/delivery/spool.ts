import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fsProblem, usageError } from '../errors.js';

/**
 * What a spool entry records: enough to send the profile again from another run, and no secret (auth,
 * headers, TLS and proxy come from the configuration of the run that sends it).
 */
export interface SpoolRecord {
  version: 1;
  /** When it was spooled (ms since the epoch): the spool is sent oldest first and aged by it. */
  spooledAt: number;
  endpoint: { name: string; url: string };
  protocol: string;
  /** The labels it was to be sent with, final: a later run sends them as they are. */
  labels: Record<string, string>;
  /** Where it came from, for people: a file name, `<stdin>`. */
  source: string;
  sha256: string;
  size: number;
  /** The last failure, for people. */
  reason: string;
}

export interface SpoolEntry extends SpoolRecord {
  id: string;
  /** The profile's bytes, as they were to be sent. */
  profilePath: string;
}

export interface SpoolOptions {
  /** Oldest entries are dropped (and reported) above this many bytes of profiles. */
  maxBytes: number;
  /** Entries older than this are dropped (and reported); 0 = no limit. */
  maxAgeMs: number;
  now: () => number;
  /** The process id claims carry, and how to tell whether a claim's owner still runs. */
  pid: number;
  isAlive: (pid: number) => boolean;
}

/** An entry dropped by a bound: said, never silent. */
export interface Dropped {
  entry: SpoolEntry;
  why: string;
}

const RECORD = '.json';
const PROFILE = '.pb';
const CLAIM = /\.json\.claim-(\d+)$/;

/**
 * A folder of profiles that could not be delivered, for a later run to send. Each entry is two files:
 * the profile (`<id>.pb`) and its record (`<id>.json`), each written to a temporary name, synced and
 * renamed, the record last: a crash never leaves a record whose profile is partial. A run claims an entry
 * by renaming its record to `<id>.json.claim-<pid>`; the rename succeeds for one process only, so two
 * runs on one spool never send an entry twice, and the claim of a process that died is taken back.
 */
export class Spool {
  private constructor(
    readonly dir: string,
    private readonly opts: SpoolOptions,
  ) {}

  static async open(dir: string, opts: SpoolOptions): Promise<Spool> {
    try {
      await mkdir(join(dir, 'rejected'), { recursive: true });
    } catch (err) {
      throw usageError(`--spool-dir ${dir}: ${fsProblem(err)}`, 'CONFIG', err);
    }
    const spool = new Spool(dir, opts);
    await spool.#takeBackStaleClaims();
    return spool;
  }

  /** Spools one profile for one endpoint; throws when it cannot be written whole (a full disk). */
  async put(record: Omit<SpoolRecord, 'version' | 'spooledAt'>, bytes: Uint8Array): Promise<SpoolEntry> {
    const spooledAt = this.opts.now();
    // Sortable by time, unique across processes.
    const id = `${String(spooledAt).padStart(15, '0')}-${randomBytes(6).toString('hex')}`;
    const full: SpoolRecord = { version: 1, spooledAt, ...record };
    const profilePath = join(this.dir, `${id}${PROFILE}`);
    try {
      await writeAtomically(profilePath, bytes);
      await writeAtomically(join(this.dir, `${id}${RECORD}`), Buffer.from(`${JSON.stringify(full, null, 2)}\n`));
    } catch (err) {
      await rm(profilePath, { force: true }).catch(() => undefined);
      throw err;
    }
    return { ...full, id, profilePath };
  }

  /** The unclaimed entries, oldest first. */
  async list(): Promise<SpoolEntry[]> {
    const names = (await readdir(this.dir)).filter((n) => n.endsWith(RECORD)).sort();
    const entries: SpoolEntry[] = [];
    for (const name of names) {
      const entry = await this.#read(join(this.dir, name), name.slice(0, -RECORD.length));
      if (entry) entries.push(entry);
    }
    return entries;
  }

  /** Takes an entry for this process; false when another process took it first. */
  async claim(entry: SpoolEntry): Promise<boolean> {
    try {
      await rename(this.#recordPath(entry.id), this.#claimPath(entry.id));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Delivered: gone from the spool. */
  async remove(entry: SpoolEntry): Promise<void> {
    await rm(entry.profilePath, { force: true });
    await rm(this.#claimPath(entry.id), { force: true });
  }

  /** Not delivered this time: back in the spool for the next run, with the latest reason. */
  async release(entry: SpoolEntry, reason: string): Promise<void> {
    await writeAtomically(this.#claimPath(entry.id), Buffer.from(`${JSON.stringify({ ...recordOf(entry), reason }, null, 2)}\n`));
    await rename(this.#claimPath(entry.id), this.#recordPath(entry.id));
  }

  /** Refused by the server for good: kept in `rejected/` with the server's answer, never sent again. */
  async reject(entry: SpoolEntry, answer: string): Promise<void> {
    const rejected = join(this.dir, 'rejected');
    await rename(entry.profilePath, join(rejected, `${entry.id}${PROFILE}`));
    await writeAtomically(join(rejected, `${entry.id}${RECORD}`), Buffer.from(`${JSON.stringify({ ...recordOf(entry), rejectedAt: this.opts.now(), answer }, null, 2)}\n`));
    await rm(this.#claimPath(entry.id), { force: true });
  }

  /** A new profile the server refused for good: kept in `rejected/` with its answer, as a spool entry would be. */
  async keepRejected(record: Omit<SpoolRecord, 'version' | 'spooledAt'>, bytes: Uint8Array, answer: string): Promise<void> {
    const spooledAt = this.opts.now();
    const id = `${String(spooledAt).padStart(15, '0')}-${randomBytes(6).toString('hex')}`;
    const rejected = join(this.dir, 'rejected');
    await writeAtomically(join(rejected, `${id}${PROFILE}`), bytes);
    await writeAtomically(join(rejected, `${id}${RECORD}`), Buffer.from(`${JSON.stringify({ version: 1, spooledAt, ...record, rejectedAt: spooledAt, answer }, null, 2)}\n`));
  }

  /** Drops what is over the bounds, oldest first; each dropped entry is returned to be reported. */
  async enforceBounds(): Promise<Dropped[]> {
    const dropped: Dropped[] = [];
    const entries = await this.list();
    const now = this.opts.now();
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    for (const entry of entries) {
      const tooOld = this.opts.maxAgeMs > 0 && now - entry.spooledAt > this.opts.maxAgeMs;
      const tooMuch = total > this.opts.maxBytes;
      if (!tooOld && !tooMuch) continue;
      if (!(await this.claim(entry))) continue;
      await this.remove(entry);
      total -= entry.size;
      dropped.push({ entry, why: tooOld ? 'older than --spool-max-age' : 'the spool is over --spool-max-bytes' });
    }
    return dropped;
  }

  async #read(path: string, id: string): Promise<SpoolEntry | undefined> {
    let record: SpoolRecord;
    try {
      record = JSON.parse(await readFile(path, 'utf8')) as SpoolRecord;
    } catch (err) {
      // Claimed by another process between readdir and here.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`spool entry ${path} cannot be read: ${(err as Error).message}`, { cause: err });
    }
    return { ...record, id, profilePath: join(this.dir, `${id}${PROFILE}`) };
  }

  /** A claim whose process is gone (killed mid-run) goes back to the spool. */
  async #takeBackStaleClaims(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const match = CLAIM.exec(name);
      if (!match || this.opts.isAlive(Number(match[1]))) continue;
      const id = name.slice(0, name.indexOf(RECORD));
      await rename(join(this.dir, name), this.#recordPath(id)).catch(() => undefined);
    }
  }

  #recordPath(id: string): string {
    return join(this.dir, `${id}${RECORD}`);
  }

  #claimPath(id: string): string {
    return join(this.dir, `${id}${RECORD}.claim-${this.opts.pid}`);
  }
}

function recordOf(entry: SpoolEntry): SpoolRecord {
  const { id: _id, profilePath: _path, ...record } = entry;
  return record;
}

/** Written to a temporary name, synced, then renamed: readers see the whole file or none of it. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  const handle = await open(tmp, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(tmp, path);
}
