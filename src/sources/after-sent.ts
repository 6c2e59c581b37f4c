import { copyFile, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fsProblem } from '../errors.js';
import { sha256 as hashOf } from './inputs.js';

/**
 * `--remove-sent` / `--move-sent DIR`: an input file, once delivered everywhere, is removed or moved, so
 * that the next cron run over the same folder neither loses nor re-sends it. A move is a rename, or on
 * another filesystem a copy that is synced before the original is removed. A file that is no longer what
 * was sent (`sha256`: rewritten by its producer meanwhile) is left where it is, for the next run. Returns a
 * problem to report, or undefined.
 */
export async function disposeSent(path: string, how: { remove: true } | { moveTo: string }, sha256?: string): Promise<string | undefined> {
  try {
    if (sha256 !== undefined && hashOf(await readFile(path)) !== sha256)
      return `${path}: delivered, but the file changed since it was read, so it was left in place; the next run will send what it holds now`;
    if ('remove' in how) {
      await rm(path);
      return undefined;
    }
    await mkdir(how.moveTo, { recursive: true });
    const target = join(how.moveTo, basename(path));
    try {
      await rename(path, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await copyFile(path, target);
      const handle = await open(target, 'r+');
      await handle.sync().finally(() => handle.close());
      await rm(path);
    }
    return undefined;
  } catch (err) {
    return `${path}: delivered, but could not be ${'remove' in how ? 'removed' : `moved to ${how.moveTo}`} (${fsProblem(err)}); the next run will send it again`;
  }
}
