/**
 * Interop with the readers people use (issue #13): every output format x data layout x dtype, 1D and
 * 2D, partitioned by run or not, is exported by the built CLI from the embedded server, then opened by
 * its directory with pandas, pyarrow (parquet.read_table, dataset), DuckDB, Hugging Face `datasets`
 * and polars, each the way the README says (test/interop/readers.py); rows, the `run` partition
 * column, the (y, x) shape and every value are compared with the server's records. The README's
 * "Reading the output" snippets run verbatim against the demo's output and must print nothing to
 * stderr (no warning). The SQL snippets run in DuckDB without Python.
 *
 * Python comes from DQM_EXPORT_PYTHON or .venv-interop/ (scripts/python-readers-venv.sh, which .ci/run
 * calls); without it the Python parts are skipped with one line saying why.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/index.js';
import { PACKAGE_ROOT } from '../../src/version.js';
import { closeDuckDB, queryParquet, sqlString } from '../helpers/duckdb.js';
import { apiRequest, DIST_CLI, withServer } from '../helpers/server.js';
import { probePython, pythonEnv, readmeSnippets, runProcess, type ProcessResult } from './python-env.js';

const FORMATS = ['parquet', 'arrow', 'arrows'] as const;
const LAYOUTS = ['nested', 'flat', 'tensor', 'array'] as const;
const DTYPES = ['float32', 'float64'] as const;
/** Synthetic histograms: small, and y != x so that a transposed (x, y) cannot pass for (y, x). */
const SHAPES = { 1: [5], 2: [4, 5] } as const;

interface DatasetSpec {
  name: string;
  path: string;
  format: (typeof FORMATS)[number];
  layout: (typeof LAYOUTS)[number];
  dtype: (typeof DTYPES)[number];
  dims: 1 | 2;
  shape: readonly number[];
  partitioned: boolean;
  /** `row_group_mb` of the stream: 1 MiB row groups get native zstd pages (src/load/parquet/native-zstd.ts). */
  rowGroupMb?: number;
}

/** Every combination, partitioned by run; plus one unpartitioned dataset per format and dimension. */
function matrix(dims: 1 | 2): Omit<DatasetSpec, 'path'>[] {
  const all: Omit<DatasetSpec, 'path'>[] = [];
  for (const format of FORMATS) {
    for (const layout of LAYOUTS) {
      for (const dtype of DTYPES)
        all.push({
          name: `d${dims}_${format}_${layout}_${dtype}`,
          format,
          layout,
          dtype,
          dims,
          shape: SHAPES[dims],
          partitioned: true,
        });
    }
    const layout = dims === 2 ? 'tensor' : 'array';
    all.push({
      name: `d${dims}_${format}_${layout}_float32_unpartitioned`,
      format,
      layout,
      dtype: 'float32',
      dims,
      shape: SHAPES[dims],
      partitioned: false,
    });
  }
  // Pages compressed by native zstd and the footer rewritten (small row groups; larger ones keep
  // parquet-wasm's zstd), in every layout.
  for (const layout of LAYOUTS)
    all.push({
      name: `d${dims}_parquet_${layout}_float32_native_zstd`,
      format: 'parquet',
      layout,
      dtype: 'float32',
      dims,
      shape: SHAPES[dims],
      partitioned: true,
      rowGroupMb: 1,
    });
  return all;
}

const DATASETS = [...matrix(1), ...matrix(2)];

/** The readers of each format, as test/interop/readers.py names them; `run` says whether it surfaces Hive partitions. */
const READERS: Record<DatasetSpec['format'], { name: string; run: boolean }[]> = {
  parquet: [
    { name: 'pandas.read_parquet', run: true },
    { name: 'pyarrow.parquet.read_table', run: true },
    { name: 'pyarrow.dataset', run: true },
    { name: 'duckdb.read_parquet', run: true },
    { name: 'datasets.load_dataset', run: false },
    { name: 'polars.scan_parquet', run: true },
  ],
  arrow: [
    { name: 'pyarrow.dataset', run: true },
    { name: 'polars.scan_ipc', run: true },
    { name: 'datasets.load_dataset', run: false },
  ],
  // IPC streams have no footer: pyarrow.dataset and polars.scan_ipc cannot open them (README).
  arrows: [
    { name: 'pyarrow.ipc.open_stream', run: false },
    { name: 'polars.read_ipc_stream', run: false },
    { name: 'datasets.load_dataset', run: false },
  ],
};

function pipelineYaml(dims: 1 | 2): string {
  const streams = matrix(dims).map(
    (d) => `  - name: ${d.name}
    endpoint: lumisection_histograms_${dims}d
    slice: {by: run}
    transform: {layout: ${d.layout}, dtype: ${d.dtype}}
    output: {path: ${d.name}, format: ${d.format}, ${d.partitioned ? 'partition_by: [run], ' : ''}${d.rowGroupMb ? `row_group_mb: ${d.rowGroupMb}, ` : ''}mode: overwrite}`,
  );
  return `version: 1
name: interop-${dims}d
source:
  type: dqm-playground
  url: \${DQM_PLAYGROUND_URL}
  token: \${DQM_PLAYGROUND_TOKEN}
streams:
${streams.join('\n')}
`;
}

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return runProcess(process.execPath, [DIST_CLI, ...args], {
    env: { ...process.env, CI: '1', ...env },
    timeoutMs: 300_000,
  });
}

/** Every record of a histogram endpoint, as the server sends them (page by page). */
async function serverRecords(
  server: RunningServer,
  dims: 1 | 2,
): Promise<{ id: number; run: number; data: unknown }[]> {
  const out: { id: number; run: number; data: unknown }[] = [];
  for (let page = 1; ; page++) {
    const r = await apiRequest(server, `/api/lumisection_histograms_${dims}d/?page=${page}`, { as: 'user' });
    const body = r.json as { next: string | null; results: { id: number; run: number; data: unknown }[] };
    out.push(...body.results.map(({ id, run, data }) => ({ id, run, data })));
    if (!body.next) return out;
  }
}

/** Read at collection time: the snippets name the tests. */
const README = await readFile(join(PACKAGE_ROOT, 'README.md'), 'utf8');
const work = await mkdtemp(join(tmpdir(), 'dqm-interop-'));
const env = pythonEnv(join(work, 'hf-home'));
const python = await probePython(env);
if (!python.ok) console.log(`python interop: skipped: ${python.reason}`);

afterAll(async () => {
  closeDuckDB();
  await rm(work, { recursive: true, force: true });
});

interface ReaderResult {
  dataset: string;
  reader: string;
  ok: boolean;
  rows?: number;
  run?: boolean;
  shape?: number[];
  problems?: string[];
  error?: string;
  warnings: string[];
}

describe.skipIf(!python.ok)('every reader opens every format x layout x dtype by its directory', () => {
  const results = new Map<string, ReaderResult>();

  beforeAll(async () => {
    const specs: DatasetSpec[] = [];
    const expected: Record<string, unknown> = {};
    for (const dims of [1, 2] as const) {
      const server = await withServer({ synthetic: `runs=2,ls=3,titles=2,dim=${dims},x=5,y=4` });
      try {
        const file = join(work, `interop-${dims}d.yaml`);
        await writeFile(file, pipelineYaml(dims));
        const r = await cli(['run', file, '--out', join(work, 'matrix')], {
          DQM_PLAYGROUND_URL: server.url,
          DQM_PLAYGROUND_TOKEN: server.userToken,
        });
        if (r.code !== 0) throw new Error(`export of ${dims}D failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
        expected[dims] = await serverRecords(server, dims);
      } finally {
        await server.close();
      }
      for (const d of matrix(dims)) specs.push({ ...d, path: join(work, 'matrix', d.name) });
    }
    const specFile = join(work, 'spec.json');
    await writeFile(specFile, JSON.stringify({ datasets: specs, expected }));
    const py = python as { python: string };
    const r = await runProcess(py.python, [join(PACKAGE_ROOT, 'test', 'interop', 'readers.py'), specFile], {
      env,
      timeoutMs: 600_000,
    });
    if (r.code !== 0) throw new Error(`readers.py failed (exit ${r.code}): ${r.stderr.slice(-3000)}`);
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const res = JSON.parse(line) as ReaderResult;
      results.set(`${res.dataset} ${res.reader}`, res);
    }
  }, 900_000);

  it.each(DATASETS.map((d) => [d.name, d] as const))('%s', (_name, d) => {
    const rows = 2 * 3 * 2; // runs x LS x titles
    const shape = [rows, ...d.shape];
    for (const reader of READERS[d.format]) {
      const res = results.get(`${d.name} ${reader.name}`);
      expect(res, `${reader.name} was not run`).toBeDefined();
      const label = `${d.name} with ${reader.name}`;
      if (d.layout === 'tensor' && reader.name === 'datasets.load_dataset') {
        // datasets has no equivalent of arrow.fixed_shape_tensor: the array layout is for datasets
        // (docs/decisions.md "Readers: tensor for pyarrow, array for Hugging Face datasets").
        expect(res!.error, label).toMatch(/fixed_shape_tensor.*does not have a datasets dtype equivalent/);
        continue;
      }
      expect({ error: res!.error, problems: res!.problems, warnings: res!.warnings }, label).toEqual({
        error: undefined,
        problems: [],
        warnings: [],
      });
      // Partitioned, `run` is in the directory names only; unpartitioned, it is a column of the files.
      expect({ rows: res!.rows, shape: res!.shape, run: res!.run }, label).toEqual({
        rows,
        shape,
        run: d.partitioned ? reader.run : true,
      });
    }
  });
});

describe('README "Reading the output" runs verbatim on the demo output', () => {
  const snippets = readmeSnippets(README, '## Reading the output');
  const sql = snippets.filter((s) => s.lang === 'sql');
  const pythons = snippets.filter((s) => s.lang === 'python');
  const torchMissing = python.ok && !python.torch;
  if (torchMissing)
    console.log('python interop: torch is not installed: the README snippets that import torch are not run');

  beforeAll(async () => {
    // The README's paths are relative to where `npm start` ran: out/demo/...
    const r = await cli(['demo', '--out', join(work, 'out')], {});
    if (r.code !== 0) throw new Error(`demo failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  }, 600_000);

  it('has Python and SQL snippets', () => {
    expect(pythons.length).toBeGreaterThan(0);
    expect(sql.length).toBeGreaterThan(0);
  });

  it.each(sql.map((s) => [s.line, s] as const))('SQL at README.md:%i runs in DuckDB', async (_line, s) => {
    await queryParquet(`SET file_search_path = ${sqlString(work)}`);
    const r = await queryParquet(s.code);
    expect(r.rows.length).toBeGreaterThan(0);
  });

  it.skipIf(!python.ok).each(pythons.map((s) => [s.line, s] as const))(
    'Python at README.md:%i runs clean',
    async (line, s) => {
      if (torchMissing && /^\s*(import|from) torch\b/m.test(s.code)) return;
      const file = join(work, `readme-${line}.py`);
      await writeFile(file, s.code);
      const r = await runProcess((python as { python: string }).python, [file], { cwd: work, env, timeoutMs: 300_000 });
      expect({ code: r.code, stderr: r.stderr }, `README.md:${line}\n${r.stdout}`).toEqual({ code: 0, stderr: '' });
      // A `print(...)  # text` line promises what it prints: the README's comments cannot drift either.
      const promised = [...s.code.matchAll(/^print\(.*\)\s+#\s*(.+)$/gm)].map((m) => m[1]!.trim());
      expect(
        r.stdout
          .trim()
          .split('\n')
          .map((l) => l.trim()),
      ).toEqual(promised);
    },
    300_000,
  );
});
