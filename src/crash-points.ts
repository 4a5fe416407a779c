/**
 * Deterministic crash points for the reliability suite (test/reliability). With
 * `DQM_EXPORT_CRASH_AT=<point>:<n>` in the environment, the n-th time the process reaches the named
 * point it kills itself with SIGKILL: no handler, no flush, no cleanup, exactly what a power cut or
 * the OOM killer does. A timer-based kill can only land somewhere at random; these let a test kill
 * the process in the narrow windows that matter (mid row group, between two renames, while the
 * manifest is written) on every run.
 *
 * Without the variable a crash point is one comparison. The points are listed in `CRASH_POINTS`.
 */
import { InternalError } from './errors.js';

/** Name of the environment variable that arms a crash point. */
export const CRASH_ENV = 'DQM_EXPORT_CRASH_AT';

/** The named points, where the code calls `crashPoint(name)`. */
export const CRASH_POINTS = {
  /** Response headers of a request arrived, its body not read yet (src/extract/http/transport.ts). */
  fetch: 'fetch',
  /** A batch was handed to the Parquet encoder worker (src/load/parquet/parquet-encoder.ts); its file may not exist yet. */
  batch: 'batch',
  /** Bytes of a Parquet file (a finished row group, or the last one and the footer) reached its temporary file, which is not complete and renamed yet (src/load/parquet/encoder-pool.ts). */
  rowGroup: 'row-group',
  /** A finished file was renamed to its final name, the directory not yet synced (src/load/atomic.ts). */
  rename: 'rename',
  /** The manifest's temporary file is written and synced, not yet renamed (src/dataset/manifest.ts via atomic.ts). */
  manifest: 'manifest',
  /** The `_SUCCESS` marker's temporary file is written, not yet renamed. */
  success: 'success',
  /** A slice's journal line is fsynced (the slice is committed); the next slice not started (src/dataset/slice-ledger.ts). */
  commit: 'commit',
} as const;

/** A crash point name. */
export type CrashPointName = (typeof CRASH_POINTS)[keyof typeof CRASH_POINTS];

/** An armed crash point: kill at the `occurrence`-th arrival at `point`. */
export interface CrashSpec {
  point: CrashPointName;
  /** 1-based. */
  occurrence: number;
}

const NAMES = Object.values(CRASH_POINTS) as string[];

/** Parses `<point>:<n>`; undefined or empty means disarmed. Throws InternalError E_CRASH_SPEC on anything else. */
export function parseCrashSpec(value: string | undefined): CrashSpec | null {
  if (value === undefined || value.trim() === '') return null;
  const match = /^([a-z-]+):([1-9][0-9]*)$/.exec(value.trim());
  if (!match || !NAMES.includes(match[1])) {
    throw new InternalError(
      'E_CRASH_SPEC',
      `${CRASH_ENV}=${value}: expected <point>:<n> with n >= 1 and point one of ${NAMES.join(', ')}`,
    );
  }
  return { point: match[1] as CrashPointName, occurrence: Number(match[2]) };
}

// Parsed on first use, so a malformed value fails the run that uses it (not the module import).
let armed: CrashSpec | null | undefined;
let reached = 0;

/** Called at each named point; kills the process with SIGKILL when the armed occurrence is reached. */
export function crashPoint(name: CrashPointName): void {
  if (armed === undefined) armed = parseCrashSpec(process.env[CRASH_ENV]);
  if (armed === null || armed.point !== name) return;
  reached++;
  if (reached === armed.occurrence) process.kill(process.pid, 'SIGKILL');
}
