/**
 * A run's rejects file: one JSON line per record the transform refused (`{slice, id, reason, field,
 * index}`), in the dataset's state directory. Created on the first reject, so a clean run leaves none.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Appends rejects and counts them per slice. */
export interface RejectsFile {
  /** Absolute path of the file. */
  readonly path: string;
  /** Rejects appended by this run for `sliceKey`. */
  countOf(sliceKey: string): number;
  /** Appends one slice's rejects, tagged with the slice key. */
  append(sliceKey: string, rejects: readonly object[]): Promise<void>;
}

/** A rejects file at `path` (nothing is written until the first reject). */
export function openRejectsFile(path: string): RejectsFile {
  const counts = new Map<string, number>();
  return {
    path,
    countOf: (sliceKey) => counts.get(sliceKey) ?? 0,
    async append(sliceKey, rejects) {
      if (rejects.length === 0) return;
      counts.set(sliceKey, (counts.get(sliceKey) ?? 0) + rejects.length);
      await mkdir(dirname(path), { recursive: true });
      await appendFile(path, rejects.map((r) => JSON.stringify({ slice: sliceKey, ...r }) + '\n').join(''));
    },
  };
}
