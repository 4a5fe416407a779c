/**
 * Test helper: exports datasets from the embedded DQM Playground server over the seeded CSV fixtures
 * (test/fixtures/inspect), in process, with one stream per requested output.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline } from '../../src/config/index.js';
import { silentLogger } from '../../src/log.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import { startServer } from '../../src/server/index.js';
import { PACKAGE_ROOT } from '../../src/version.js';

/** The seeded CSV files (1D: hitResiduals, clusterCharge; 2D: occupancy). */
export const SEEDED_DIR = join(PACKAGE_ROOT, 'test', 'fixtures', 'inspect');

/** One exported stream. */
export interface StreamSpec {
  name: string;
  dims: 1 | 2;
  format?: 'parquet' | 'arrow' | 'arrows';
  layout?: 'nested' | 'flat' | 'tensor' | 'array';
  dtype?: 'float32' | 'float64';
  partitioned?: boolean;
  /** Filters of the stream, as YAML flow mapping text (e.g. `{title: X}`). */
  filters?: string;
}

function streamYaml(s: StreamSpec): string {
  const endpoint = s.dims === 1 ? 'lumisection_histograms_1d' : 'lumisection_histograms_2d';
  const partition = s.partitioned === false ? '' : ', partition_by: [run]';
  return `
  - name: ${s.name}
    endpoint: ${endpoint}
    slice: {by: run}${s.filters ? `\n    filters: ${s.filters}` : ''}
    transform: {layout: ${s.layout ?? 'nested'}, dtype: ${s.dtype ?? 'float64'}}
    output: {path: ${s.name}, format: ${s.format ?? 'parquet'}${partition}, mode: overwrite}`;
}

/**
 * Exports `streams` from a fresh embedded server over `dataDir` (default: the seeded fixtures) into
 * `outDir` (default: a new temporary directory); returns the output root.
 */
export async function exportSeeded(streams: StreamSpec[], dataDir = SEEDED_DIR, outDir?: string): Promise<string> {
  const server = await startServer({ port: 0, dataDirs: [dataDir] });
  try {
    const dir = outDir ?? (await mkdtemp(join(tmpdir(), 'dqm-inspect-')));
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'pipeline.yaml');
    const yaml = `version: 1
name: seeded
source:
  type: dqm-playground
  url: \${DQM_PLAYGROUND_URL}
  token: \${DQM_PLAYGROUND_TOKEN}
streams:${streams.map(streamYaml).join('')}
`;
    await writeFile(file, yaml);
    const env = { DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: server.userToken };
    const loaded = await loadPipeline(file, { env });
    const summary = await runPipeline(loaded, { outDir: dir, logger: silentLogger, env });
    if (summary.exitCode !== 0) throw new Error(`seeded export finished with exit code ${summary.exitCode}`);
    return dir;
  } finally {
    await server.close();
  }
}
