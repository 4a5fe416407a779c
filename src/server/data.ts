/**
 * Builds the server's data: synthetic tables from a spec, or a CSV store filled by discovering the
 * data directories and (unless `manual`) parsing every file, one after the other so ids follow the
 * file order as on the real server (1D ids 1-9 from the real file, then 10-249, ...).
 */
import { DataFileTable } from '../tables/datafiles.js';
import type { ServerData } from './handlers/context.js';
import { checkDataDirs, Ingestor } from './ingest.js';
import type { ResolvedServerOptions } from './options.js';
import { CsvHistogramTable, CsvStore } from '../tables/store.js';
import {
  syntheticDataFiles,
  SyntheticHistogramTable,
  SyntheticLumisectionTable,
  SyntheticRunTable,
} from '../tables/synthetic.js';

/** The data, and a function that finishes loading it (parsing); call it after the port is bound. */
export interface LoadingData {
  data: ServerData;
  load(): Promise<void>;
}

/** Checks the data directories (E_SERVE_DATA_DIR) and registers their files, or builds synthetic tables. */
export async function buildData(o: ResolvedServerOptions): Promise<LoadingData> {
  const spec = o.synthetic;
  if (spec) {
    const files = syntheticDataFiles(spec);
    const histograms = new SyntheticHistogramTable(spec);
    const empty = new CsvHistogramTable(spec.dim === 1 ? 2 : 1, files);
    return {
      data: {
        files,
        runs: new SyntheticRunTable(spec),
        lumisections: new SyntheticLumisectionTable(spec),
        h1d: spec.dim === 1 ? histograms : empty,
        h2d: spec.dim === 2 ? histograms : empty,
        readOnly: true,
      },
      load: async () => undefined,
    };
  }
  await checkDataDirs(o.dataDirs);
  const files = new DataFileTable();
  const store = new CsvStore(files);
  const ingest = new Ingestor(store, o.dataDirs, o.logger, o.parseDelayMs);
  await ingest.discover();
  return {
    data: {
      files,
      runs: store.runs,
      lumisections: store.lumisections,
      h1d: store.h1d,
      h2d: store.h2d,
      ingest,
      readOnly: false,
    },
    load: async () => {
      if (o.manual) return;
      for (const file of files.all()) await ingest.parse(file);
    },
  };
}
