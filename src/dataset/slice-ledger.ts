/**
 * The commit side of one stream's run: the journal, and every file committed so far. A slice is
 * committed when its journal line is fsynced (its files were renamed into place before); at the end
 * the target writes what marks the dataset (or shard) complete, then the journal's `done` line.
 */
import { crashPoint } from '../crash-points.js';
import type { WrittenFile } from '../load/index.js';
import { VERSION } from '../version.js';
import { openJournal, type Journal, type JournalFile } from './journal.js';
import type { PreparedOutput } from './output-root.js';
import type { FinishInput, OutputTarget } from './targets.js';

/** A stream run's committed slices and files. */
export interface SliceLedger {
  /** Every committed file: kept by `append`, committed before a resume, and this run's. */
  readonly files: readonly JournalFile[];
  /** Every committed slice key, resumed ones included. */
  readonly keys: readonly string[];
  /** Rejects counted by the slices committed before this run (a resume). */
  readonly resumedRejects: number;
  /** Commits a slice: its files (already renamed into place) and its report, in one fsynced line. */
  commit(key: string, written: readonly WrittenFile[], report: Record<string, unknown>): Promise<void>;
  /** Writes the target's completion (manifest, marker, cursor; or a shard manifest), then `done`. */
  finish(input: Omit<FinishInput, 'files' | 'committedKeys' | 'proofs'>): Promise<void>;
  /** Closes the journal without finishing (nothing to do, or the run failed). */
  close(): Promise<void>;
}

function toJournalFile(f: WrittenFile): JournalFile {
  return {
    path: f.path,
    format: f.format,
    rows: f.rows,
    bytes: f.bytes,
    sha256: f.sha256,
    partition: f.partition,
    schema: f.schema,
  };
}

/** Opens the journal of a prepared target; a run that resumes nothing writes its `start` line. */
export async function openSliceLedger(
  root: string,
  target: OutputTarget,
  prepared: PreparedOutput,
  start: { stream: string; at: string; configHash: string },
): Promise<SliceLedger> {
  const committed = prepared.journal.slices;
  const journal: Journal = await openJournal(root, target.journalName);
  if (committed.size === 0)
    await journal.append({
      type: 'start',
      at: start.at,
      configHash: start.configHash,
      version: VERSION,
      ...target.startFields,
    });
  const files: JournalFile[] = [...prepared.keptFiles];
  const keys: string[] = [];
  let resumedRejects = 0;
  // Completeness proof per slice, where the source names one (the manifest records them).
  const proofs: Record<string, string> = {};
  for (const entry of committed.values()) {
    files.push(...entry.files);
    keys.push(entry.key);
    if (typeof entry.report.proof === 'string') proofs[entry.key] = entry.report.proof;
    resumedRejects += Number(entry.report.rejects ?? 0);
  }
  return {
    files,
    keys,
    resumedRejects,
    async commit(key, written, report) {
      const jf = written.map(toJournalFile);
      files.push(...jf);
      keys.push(key);
      if (typeof report.proof === 'string') proofs[key] = report.proof;
      await journal.append({
        type: 'slice',
        at: new Date().toISOString(),
        stream: start.stream,
        key,
        files: jf,
        report,
      });
      crashPoint('commit');
    },
    async finish(input) {
      await target.finish({ ...input, files, committedKeys: keys, proofs });
      await journal.append({ type: 'done', at: new Date().toISOString() });
      await journal.close();
    },
    close: () => journal.close(),
  };
}
