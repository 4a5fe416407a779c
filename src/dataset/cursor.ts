/**
 * Incremental exports: `incremental: {cursor: run}` remembers the highest run that a successful run
 * fully exported, in `<out>/.dqm-export/state.json`, and later runs plan only newer runs. The state is
 * written only after the manifest and `_SUCCESS`, so a failed run never advances the cursor.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { STATE_DIR } from './layout.js';

/** Persisted cursor of one stream's output. */
export interface CursorState {
  cursor: 'run';
  /** Highest run fully exported so far. */
  value: number;
  updatedAt: string;
}

/** Reads the cursor, or null when no successful incremental run has happened. */
export async function readCursor(root: string): Promise<CursorState | null> {
  const path = join(root, STATE_DIR, 'state.json');
  try {
    const state = JSON.parse(await readFile(path, 'utf8')) as CursorState;
    if (state.cursor !== 'run' || !Number.isInteger(state.value)) {
      throw new InputError(
        'E_CURSOR_INVALID',
        `incremental state ${path} is not valid: expected {"cursor":"run","value":<int>}`,
        { file: path },
      );
    }
    return state;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (err instanceof InputError) throw err;
    throw new InputError(
      'E_CURSOR_INVALID',
      `incremental state ${path} is not readable JSON: ${(err as Error).message}`,
      { file: path },
    );
  }
}

/** Atomically records the new cursor value. */
export async function writeCursor(root: string, value: number): Promise<void> {
  const dir = join(root, STATE_DIR);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.state.json.tmp-${process.pid}`);
  const state: CursorState = { cursor: 'run', value, updatedAt: new Date().toISOString() };
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
  await rename(tmp, join(dir, 'state.json'));
}
