/**
 * The resume journal: an append-only JSON-lines file in `<out>/.dqm-export/journal.jsonl`. A slice's
 * files are renamed into place first, then one `slice` line records them and is fsynced: that line
 * is the commit point. On `--resume`, committed slices are skipped and every data file that no
 * committed line names (a slice interrupted between rename and commit) is removed, so the dataset
 * equals an uninterrupted run's. A torn last line (kill -9 mid-append) is ignored.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GroupFlush } from '../group-flush.js';
import { ensureDirectory, removeFile } from '../load/atomic.js';
import type { WrittenFile } from '../load/types.js';
import { redact } from '../secrets.js';
import { JOURNAL_NAME, STATE_DIR } from './layout.js';

/**
 * A file a slice committed, as the journal records it: the sink's `WrittenFile`, except that journals
 * of older versions lack `format` and `schema`.
 */
export type JournalFile = Omit<WrittenFile, 'format' | 'schema'> & Partial<Pick<WrittenFile, 'format' | 'schema'>>;

export type JournalEntry =
  | { type: 'start'; at: string; configHash: string; version: string; planHash?: string; appendTag?: string }
  | { type: 'slice'; at: string; stream: string; key: string; files: JournalFile[]; report: Record<string, unknown> }
  | { type: 'done'; at: string };

/** What a previous run committed, read back from its journal. */
export interface JournalState {
  configHash: string | null;
  /** Plan hash of a shard's run (null for unsharded runs). */
  planHash?: string | null;
  /** File-name tag of an append run (its files never collide with earlier runs'). */
  appendTag?: string;
  /** `stream\u0000sliceKey` -> entry. */
  slices: Map<string, Extract<JournalEntry, { type: 'slice' }>>;
  done: boolean;
}

/** Key of a slice in `JournalState.slices`. */
export function sliceId(stream: string, key: string): string {
  return `${stream}\u0000${key}`;
}

/** Reads a journal; a missing file is an empty state, a torn final line is dropped. */
export async function readJournal(root: string, name: string = JOURNAL_NAME): Promise<JournalState> {
  const state: JournalState = { configHash: null, slices: new Map(), done: false };
  let text: string;
  try {
    text = await readFile(join(root, STATE_DIR, name), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return state;
    throw err;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {
      continue; // torn write from a crash: the slice it described was never committed
    }
    if (entry.type === 'start') {
      state.configHash = entry.configHash;
      state.planHash = entry.planHash ?? null;
      state.appendTag = entry.appendTag;
      state.done = false;
    } else if (entry.type === 'slice') {
      state.slices.set(sliceId(entry.stream, entry.key), entry);
    } else if (entry.type === 'done') {
      state.done = true;
    }
  }
  return state;
}

/** An open journal; each append is fsynced before it resolves. */
export interface Journal {
  append(entry: JournalEntry): Promise<void>;
  close(): Promise<void>;
}

/** Opens (creating) the journal for appending. */
export async function openJournal(root: string, name: string = JOURNAL_NAME): Promise<Journal> {
  // ensureDirectory: on a read-only filesystem it reports EROFS, where mkdir -p says ENOENT.
  await ensureDirectory(join(root, STATE_DIR));
  const handle = await open(join(root, STATE_DIR, name), 'a');
  // Lines wait here for the next write: slices that finish together share one write and one fsync
  // (src/group-flush.ts), and lines never interleave. After a failed write every append fails.
  let waiting: string[] = [];
  let failure: { error: unknown } | undefined;
  const writes = new GroupFlush(async () => {
    const text = waiting.join('');
    waiting = [];
    await handle.write(text);
    await handle.sync();
  });
  let last: Promise<void> = Promise.resolve();
  return {
    append(entry) {
      if (failure) return Promise.reject(failure.error);
      waiting.push(redact(JSON.stringify(entry)) + '\n');
      last = writes.request().catch((error: unknown) => {
        failure ??= { error };
        throw failure.error;
      });
      return last;
    },
    async close() {
      await last;
      await handle.close();
    },
  };
}

/** Deletes the journal (a fresh, non-resumed run starts a new one). */
export async function resetJournal(root: string, name: string = JOURNAL_NAME): Promise<void> {
  await removeFile(join(root, STATE_DIR, name));
}
