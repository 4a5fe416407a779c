/**
 * The names of a dataset directory's own files, in one place. A dataset `D` holds its data files
 * (`D/run=315705/part-*.parquet`, `.tmp-*` while being written), and dqm-export's bookkeeping: the
 * manifest and the commit marker (written last: present means complete), the state directory with
 * the journals and the incremental cursor, and the shard manifests of a sharded run.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Stream } from '../config/index.js';

/** Directory for dqm-export's own bookkeeping inside an output root. */
export const STATE_DIR = '.dqm-export';

/** Default journal file name; a shard keeps its own (`shard-0003.jsonl`) so shards never share one. */
export const JOURNAL_NAME = 'journal.jsonl';

/** Name of the dataset manifest written at the end of a run. */
export const MANIFEST_NAME = 'manifest.json';

/** The commit marker, written after the manifest: its presence means the dataset is complete. */
export const SUCCESS_NAME = '_SUCCESS';

/** Directory of the shard manifests, inside the output root (`_`-prefixed: Parquet readers skip it). */
export const SHARDS_DIR = '_shards';

/** `sNNNN`: the shard id in file names; zero-padded so names sort by shard. */
export function shardTag(index: number): string {
  return 's' + String(index).padStart(4, '0');
}

/** Absolute output root of a stream. */
export function streamRoot(stream: Stream, outRoot: string): string {
  return isAbsolute(stream.output.path) ? stream.output.path : resolve(outRoot, stream.output.path);
}
