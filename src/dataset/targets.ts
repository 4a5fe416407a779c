/**
 * Where a stream's run commits: a whole dataset (manifest, `_SUCCESS`, incremental cursor) or one
 * shard's share of it (tagged part files, a shard manifest; `finalize` assembles the dataset). The
 * runner is the same for both; only these few decisions differ.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stream } from '../config/index.js';
import type { OutputFormat } from '../load/index.js';
import { removeFile, writeFileAtomic } from '../load/atomic.js';
import { safeUrl } from '../secrets.js';
import { writeCursor } from './cursor.js';
import type { JournalFile } from './journal.js';
import { JOURNAL_NAME, shardTag, STATE_DIR } from './layout.js';
import { buildManifest, writeManifest, writeSuccessMarker, type ManifestFile, type Provenance } from './manifest.js';
import { prepareOutputRoot, type PreparedOutput } from './output-root.js';
import { prepareShardOutput, shardJournalName, shardManifest, writeShardManifest } from './shard-output.js';

/** What a finished stream hands to its target. */
export interface FinishInput {
  /** Every file of the dataset (or shard) after this run, committed. */
  files: JournalFile[];
  provenance: Provenance;
  /** Rejected records over the whole run (resumed slices included). */
  rejects: number;
  seconds: number;
  /** Highest run fully exported (for the incremental cursor), or -Infinity. */
  maxRun: number;
  /** Slice keys committed, including those of a resumed run. */
  committedKeys: string[];
  /** Completeness proof per committed slice key, where the source names one. */
  proofs?: Record<string, string>;
}

/** The decisions that differ between a dataset and a shard. */
export interface OutputTarget {
  /** Journal file name inside `.dqm-export/`. */
  readonly journalName: string;
  /** Rejects file, relative to the root. */
  readonly rejectsPath: string;
  /** Extra fields of the journal's `start` line. */
  readonly startFields: { planHash?: string; appendTag?: string };
  /** Applies mode / resume; returns the committed slices to skip. */
  prepare(): Promise<PreparedOutput>;
  /** Unique, filesystem-safe file name prefix of a slice. */
  filePrefix(sliceKey: string): string;
  /** Writes what marks the target complete. */
  finish(input: FinishInput): Promise<void>;
}

/** `part-<sha12 of the slice key>`: unique per slice, so a retried slice replaces only its own files. */
export function slicePrefix(key: string): string {
  return 'part-' + createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** Journal files as manifest entries (journals of older versions did not record the format). */
function manifestFiles(files: readonly JournalFile[], format: OutputFormat): ManifestFile[] {
  return files.map((f) => ({ ...f, format: f.format ?? format }));
}

/**
 * Keeps only the rejects of committed slices: a slice interrupted before its commit runs again and
 * would otherwise list its rejects twice. A fresh run starts with no rejects file.
 */
async function pruneRejects(path: string, committed: ReadonlySet<string> | null): Promise<void> {
  if (!committed || committed.size === 0) {
    await removeFile(path);
    return;
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return;
  }
  const kept = text.split('\n').filter((line) => {
    if (!line) return false;
    try {
      return committed.has((JSON.parse(line) as { slice?: string }).slice ?? '');
    } catch {
      return false;
    }
  });
  await writeFileAtomic(path, kept.map((l) => l + '\n').join(''));
}

function committedKeys(prepared: PreparedOutput): Set<string> {
  return new Set([...prepared.journal.slices.values()].map((e) => e.key));
}

/** The whole dataset in `root`: manifest and `_SUCCESS` at the end, the cursor for incremental streams. */
export function datasetTarget(root: string, stream: Stream, o: { resume: boolean; configHash: string }): OutputTarget {
  let rejectsPath = `${STATE_DIR}/rejects.jsonl`;
  // Append runs may export a slice again (new lumisections of a run): a per-run tag keeps the new
  // files from renaming over the earlier run's, which the kept manifest still lists. The rejects of
  // each append run go to their own file too, so a later run never prunes an earlier run's.
  let prefix = slicePrefix;
  let appendTag: string | undefined;
  return {
    journalName: JOURNAL_NAME,
    get rejectsPath() {
      return rejectsPath;
    },
    async prepare() {
      const prepared = await prepareOutputRoot(root, {
        mode: stream.output.mode,
        resume: o.resume,
        configHash: o.configHash,
        stream: stream.name,
      });
      if (stream.output.mode === 'append') {
        // A resumed append keeps the interrupted run's tag, so its committed files stay its own.
        const tag = prepared.journal.appendTag ?? `a${Date.now().toString(36)}`;
        appendTag = tag;
        prefix = (key) => slicePrefix(key).replace(/^part-/, `part-${tag}-`);
        rejectsPath = `${STATE_DIR}/rejects-${tag}.jsonl`;
      }
      await pruneRejects(join(root, rejectsPath), committedKeys(prepared));
      return prepared;
    },
    filePrefix: (key) => prefix(key),
    get startFields() {
      return appendTag ? { appendTag } : {};
    },
    async finish(input) {
      const manifest = buildManifest({
        provenance: input.provenance,
        files: manifestFiles(input.files, stream.output.format),
        timings: { seconds: input.seconds },
        rejects: input.rejects ? { count: input.rejects, file: rejectsPath } : undefined,
        completeness: input.proofs,
      });
      await writeManifest(root, manifest);
      await writeSuccessMarker(root);
      if (stream.incremental && Number.isFinite(input.maxRun)) await writeCursor(root, input.maxRun);
    },
  };
}

/** What a shard needs to know about the plan it runs. */
export interface ShardRun {
  index: number;
  count: number;
  planHash: string;
  /** Slices assigned to this shard in the plan (run or committed). */
  assigned: number;
}

/** One shard's share of `root`: tagged part files and `.dqm-export/shards/sNNNN.json` at the end. */
export function shardTarget(
  root: string,
  stream: Stream,
  o: { resume: boolean; configHash: string; shard: ShardRun },
): OutputTarget {
  const tag = shardTag(o.shard.index);
  const rejectsPath = `${STATE_DIR}/rejects-${tag}.jsonl`;
  return {
    journalName: shardJournalName(o.shard.index),
    rejectsPath,
    startFields: { planHash: o.shard.planHash },
    async prepare() {
      const prepared = await prepareShardOutput(root, {
        mode: stream.output.mode,
        resume: o.resume,
        configHash: o.configHash,
        planHash: o.shard.planHash,
        stream: stream.name,
        index: o.shard.index,
        count: o.shard.count,
      });
      await pruneRejects(join(root, rejectsPath), committedKeys(prepared));
      return prepared;
    },
    filePrefix: (key) => slicePrefix(key).replace(/^part-/, `part-${tag}-`),
    async finish(input) {
      await writeShardManifest(
        root,
        shardManifest({
          stream: stream.name,
          shard: o.shard.index,
          shards: o.shard.count,
          configHash: o.configHash,
          planHash: o.shard.planHash,
          source: safeUrl(input.provenance.sourceUrl),
          endpoint: input.provenance.endpoint,
          assigned: o.shard.assigned,
          slices: [...input.committedKeys].sort(),
          files: manifestFiles(input.files, stream.output.format),
          rejects: input.rejects,
          completeness: input.proofs,
          startedAt: input.provenance.startedAt,
        }),
      );
    },
  };
}
