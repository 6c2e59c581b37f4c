import { realpathSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ProblemsError, fsProblem, usageError } from '../errors.js';
import { STDIN } from './inputs.js';

/*
 * Finding a run's inputs: the files, folders, patterns and `-` it names, each file once, in order.
 */

/** The inputs a run names, in order. */
export interface InputNames {
  names: string[];
  /**
   * Every one is a file that a folder's listing gave as a regular file (the run named only folders), so
   * it is opened without the stat a name the user gave gets first (in case that one is a named pipe).
   */
  listed: boolean;
}

/**
 * Files, directories (their regular files, sorted; with `recursive`, their subdirectories' too) and `-`,
 * in the order given, each file once. With `allowEmpty` (a dump folder a cron job empties), a folder or
 * pattern with nothing in it is no mistake: there is just nothing new to send.
 */
export async function expandInputs(args: string[], opts: { recursive?: boolean; allowEmpty?: boolean } = {}): Promise<InputNames> {
  if (args.length === 0) throw usageError('no profiles given: pass pprof files, directories, or - for stdin');
  if (args.filter((a) => a === STDIN).length > 1) throw usageError('- (stdin) given more than once; it can be read only once');
  const out: string[] = [];
  const problems: string[] = [];
  const listed = { directories: 0, links: 0 };
  for (const arg of args) {
    if (arg === STDIN) {
      out.push(arg);
      continue;
    }
    try {
      const st = await stat(arg).catch(async (err: NodeJS.ErrnoException) => {
        // A pattern the shell did not expand (quoted, or from cron): expanded here, matches sorted.
        if (err.code !== 'ENOENT' || !/[*?[{]/.test(arg)) throw err;
        const { glob } = await import('tinyglobby');
        const matches = (await glob(arg, { onlyFiles: true, expandDirectories: false })).sort();
        if (matches.length === 0 && !opts.allowEmpty) problems.push(`${arg}: the pattern matches no file`);
        out.push(...matches);
        return undefined;
      });
      if (st === undefined) continue;
      if (!st.isDirectory()) {
        out.push(arg);
        continue;
      }
      listed.directories++;
      const files = (await filesIn(arg, opts.recursive ?? false, problems, listed)).sort();
      if (files.length === 0 && problems.length === 0 && !opts.allowEmpty) problems.push(`${arg}: directory has no files`);
      out.push(...files);
    } catch (err) {
      problems.push(`${arg}: ${fsProblem(err)}`);
    }
  }
  if (problems.length > 0) throw new ProblemsError('INPUT', problems.sort());
  const onlyFolders = listed.directories === args.length;
  // One directory without symlinks lists each file once (subdirectories are real ones): there is
  // nothing to resolve, and a bulk run is spared a realpath and a key per file.
  if (args.length === 1 && onlyFolders && listed.links === 0) return { names: out, listed: true };
  // The same file by two spellings (f, ./f, /abs/f, a symlink) is sent once, under its first name.
  const seen = new Set<string>();
  const unique: string[] = [];
  for (const name of out) {
    // /dev/fd/63 from <(…) resolves to "pipe:[…]", which realpath refuses: the name is the key then.
    const key = name === STDIN ? STDIN : realKey(name);
    if (!seen.has(key)) unique.push(name);
    seen.add(key);
  }
  return { names: unique, listed: onlyFolders };
}

/**
 * One realpath(3) call, synchronously: from the inode cache it takes microseconds, where 1000 awaited
 * ones took 15–80 ms. A name that cannot be resolved is its own key (its read says what is wrong).
 */
function realKey(name: string): string {
  try {
    return realpathSync.native(name);
  } catch {
    return name;
  }
}

async function filesIn(dir: string, recursive: boolean, problems: string[], listed: { directories: number; links: number }): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  // A regular file is taken as listed, without a promise of its own: a folder of 20 000 files made as
  // many, all alive until the last was done, and V8 moved them to the old generation as garbage (~6 MiB
  // of that run's peak). Only symlinks are looked at.
  // Every path is the folder's one prefix and the entry's name, as join() spells it (an entry's name has
  // no slash, and is never . or ..), not join() per entry: it normalises the whole path again each time,
  // and left a 32-byte string wrapper per path alive beside the path itself (20 000 files: ~0.5 MiB at
  // the peak, ~1 MiB of peak RSS with the garbage).
  const prefix = join(dir, '_').slice(0, -1);
  const files: string[] = [];
  for (const e of entries) if (e.isFile()) files.push(prefix + e.name);
  const symlinks = entries.filter((e) => e.isSymbolicLink());
  listed.links += symlinks.length;
  const links = await Promise.all(symlinks.map((e) => linkedFile(join(dir, e.name), problems)));
  for (const path of links) if (path !== undefined) files.push(path);
  if (!recursive) return files;
  // Real directories only: following a symlinked directory could loop.
  for (const sub of entries.filter((e) => e.isDirectory())) files.push(...(await filesIn(join(dir, sub.name), true, problems, listed)));
  return files;
}

/**
 * A symlink in a directory, kept when it points to a file: skipping it would drop a profile without a
 * word, and one that points nowhere is said, not skipped.
 */
async function linkedFile(path: string, problems: string[]): Promise<string | undefined> {
  try {
    return (await stat(path)).isFile() ? path : undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push(code === 'ENOENT' ? `${path}: a symlink to nothing (its target does not exist); remove it or point it at a profile` : `${path}: ${fsProblem(err)}`);
    return undefined;
  }
}
