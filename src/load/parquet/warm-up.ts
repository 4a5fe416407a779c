/**
 * The warm-up encode of a Parquet encoder worker started ahead of need (`EncoderPool.prestart`,
 * src/cli/bin.ts): the first file a worker encodes costs ~100 ms more than the next ones (V8 compiles
 * parquet-wasm's functions lazily, on first call: IPC decoding, the column writers, zstd, the footer
 * reader), which a one-record `run` otherwise waits for after its page. A worker started ahead
 * encodes this tiny batch in memory while the run still plans (docs/decisions.md, "CLI start-up: the
 * encoder worker warms up, and starts before the bundle loads").
 */
import { parquetWriterChoice, parquetZstdCodec } from '../../settings.js';
import type { OwnColumn, ParquetWriterPlan } from './protocol.js';

/**
 * Two synthetic 1D histograms (8 bins) as one Arrow IPC stream, with the columns and types of a
 * `lumisection_histograms_1d` batch (test/load/warm-up.test.ts checks them against the transform's
 * schema): the code paths of a real export, dictionary-encoded strings and a nullable column
 * included. Made with apache-arrow's `tableToIPC`; 1.9 KB.
 */
const WARM_UP_IPC_BASE64 =
  '/////8ACAAAQAAAAAAAKABAADgAHAAgACgAAAAAAAAEIAAAAAAAEACT+//8EAAAACgAAAFwCAAAcAgAA5AEAAJQBAABQAQAAGAEAAOgAAAC0AAAAcAAAAAQAAADc/f//EAAAABgAAAAAAAAMRAAAAAQAAABkYXRhAAAAAAEAAAAEAAAABP7//xAAAAAYAAAAAAAAAxQAAAAEAAAAaXRlbQAAAAAAAAAAIv///wAAAgC0/v//EAAYAAQACwATABQAAAAMABAAAAAUAAAAAAAAASQAAAAAAAACIAAAABAAAABzb3VyY2VfZGF0YV9maWxlAAAAAAAAAABI/v//AAAAASAAAACE/v//EAAAABgAAAAAAAACFAAAAAUAAAB4X2JpbgAAAAAAAAB4/v//AAAAASAAAAC0/v//EAAAABgAAAAAAAADFAAAAAUAAAB4X21heAAAAAAAAADS////AAACAOD+//8QAAAAGAAAAAAAAAMcAAAABQAAAHhfbWluAAAAAAAAAAAABgAIAAYABgAAAAAAAgAU////EAAAABgAAAAAAAACFAAAAAcAAABlbnRyaWVzAAAAAAAI////AAAAAUAAAAAQABgACAAAABMAFAAEAAwAEAAAADQAAAAQAAAAGAAAAAAAAAUYAAAABQAAAHRpdGxlAAAAAAAAAAQABAAEAAAACAAIAAAABAAIAAAABAAAAGT///8AAAABIAAAAKD///8QAAAAHAAAAAAAAAIYAAAACwAAAGx1bWlzZWN0aW9uAAAAAACY////AAAAASAAAADU////EAAAABQAAAAAAAACEAAAAAMAAABydW4AAAAAAMT///8AAAABIAAAABAAFAAEAAAADwAQAAAACAAQAAAAEAAAABQAAAAAAAACGAAAAAIAAABpZAAAAAAAAAgADAAIAAcACAAAAAAAAAFAAAAAAAAAAP////+wAAAAFAAAAAAAAAAMABwAGgATABQABAAMAAAAEAAAAAAAAAAAAAAAAAAAAhAAAAAAAAQACAAKAAAABAAIAAAAEAAAAAAACgAYAAwACAAEAAoAAAAUAAAASAAAAAEAAAAAAAAAAAAAAAMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIAAAAAAAAAAgAAAAAAAAACAAAAAAAAAAAAAAAAQAAAAEAAAAAAAAAAAAAAAAAAAAAAAAABwAAAHdhcm0tdXAA/////2gCAAAUAAAAAAAAAAwAFgAUAA8AEAAEAAwAAAA4AQAAAAAAAAAAAAMQAAAABAAKABgADAAIAAQACgAAABQAAAB4AQAAAgAAAAAAAAAAAAAAFgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAABAAAAAAAAAACAAAAAAAAAAYAAAAAAAAAAAAAAAAAAAAGAAAAAAAAAAIAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAgAAAAAAAAAKAAAAAAAAAAAAAAAAAAAACgAAAAAAAAAEAAAAAAAAAA4AAAAAAAAAAAAAAAAAAAAOAAAAAAAAAAQAAAAAAAAAEgAAAAAAAAAAAAAAAAAAABIAAAAAAAAABAAAAAAAAAAWAAAAAAAAAAAAAAAAAAAAFgAAAAAAAAACAAAAAAAAABgAAAAAAAAAEAAAAAAAAAAoAAAAAAAAAAIAAAAAAAAAKgAAAAAAAAAAAAAAAAAAACoAAAAAAAAABAAAAAAAAAAuAAAAAAAAAAAAAAAAAAAALgAAAAAAAAAgAAAAAAAAAAAAAAACwAAAAIAAAAAAAAAAAAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAAAAAAAIAAAAAAAAAAAAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAAAAAAAIAAAAAAAAAAAAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAABAAAAAAAAAAIAAAAAAAAAAAAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAEAAAABAAAAAQAAAAIAAAAAAAAAAAAAAAgAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA8D8AAAAAAADwPwgAAAAIAAAAAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAgAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAA8D8AAAAAAAAAQAAAAAAAAAhAAAAAAAAAEEAAAAAAAAAUQAAAAAAAABhAAAAAAAAAHEAAAAAAAAAcQAAAAAAAABhAAAAAAAAAFEAAAAAAAAAQQAAAAAAAAAhAAAAAAAAAAEAAAAAAAADwPwAAAAAAAAAA/////wAAAAA=';

/** What a worker warms up with: one batch and the writer settings of a default export. */
export interface WarmUp {
  /** A complete Arrow IPC stream (schema, dictionaries, batch, end). */
  ipc: Uint8Array;
  /**
   * Writer settings: zstd, histogram floats BYTE_STREAM_SPLIT, dictionaries on the scalar columns.
   * The worker encodes it the way a file with small row groups is encoded: native zstd after
   * UNCOMPRESSED pages when a native zstd loads (and `zstd` is not `wasm`), else parquet-wasm's zstd.
   */
  plan: ParquetWriterPlan;
}

const SCALAR_COLUMNS = ['id', 'run', 'lumisection', 'title', 'entries', 'x_min', 'x_max', 'x_bin', 'source_data_file'];

/**
 * The own writer's columns for the warm-up batch (what own-writer-plan.ts derives from its schema:
 * a test checks it), written out so that the CLI's start-up need not load apache-arrow for them.
 */
export const WARM_UP_OWN_COLUMNS: OwnColumn[] = [
  { kind: 'int64', name: 'id', nullable: false },
  { kind: 'int32', name: 'run', nullable: false },
  { kind: 'int32', name: 'lumisection', nullable: false },
  { kind: 'utf8', name: 'title', nullable: false, arrowDictionary: true },
  { kind: 'int64', name: 'entries', nullable: false },
  { kind: 'float64', name: 'x_min', nullable: false },
  { kind: 'float64', name: 'x_max', nullable: false },
  { kind: 'int32', name: 'x_bin', nullable: false },
  { kind: 'int32', name: 'source_data_file', nullable: true },
  { kind: 'floats', name: 'data', width: 8, levels: [{ itemName: 'item', itemNullable: false }] },
];

/**
 * The warm-up batch and plan (a fresh copy: the worker data is cloned per worker anyway). The plan
 * lists the own writer's columns as a real file's would: a worker whose first file goes through the
 * own writer then warms that writer up and never compiles parquet-wasm.
 */
export function warmUp(): WarmUp {
  const own = parquetWriterChoice() === 'own' && parquetZstdCodec() === 'native';
  return {
    ipc: new Uint8Array(Buffer.from(WARM_UP_IPC_BASE64, 'base64')),
    plan: {
      compression: 'zstd',
      maxRowGroupRows: 1024,
      maxRowGroupBytes: 1 << 20,
      keyValueMetadata: { 'dqm_export.warm_up': 'true' },
      floatLists: true,
      columns: SCALAR_COLUMNS.map((name) => ({ name, dictionary: true, encoding: 'plain' as const })),
      createdBy: 'dqm-export warm-up',
      zstd: parquetZstdCodec(),
      ...(own ? { own: WARM_UP_OWN_COLUMNS } : {}),
    },
  };
}
