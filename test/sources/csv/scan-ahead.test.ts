/**
 * Scans made before the run asks for them (src/sources/csv/scan-ahead.ts, early-worker.ts): the file
 * list guessed from a pipeline's text equals the run's own expansion, a doubtful text guesses nothing,
 * each scan made ahead is handed out once, and a pool that adopts an early worker gets the same scans
 * as a fresh one.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { expandFiles } from '../../../src/sources/csv/csv-files.js';
import { startEarlyCsvWorker, takeEarlyCsvWorker } from '../../../src/sources/csv/early-worker.js';
import { DEFAULT_READ_SETTINGS } from '../../../src/sources/csv/read-settings.js';
import {
  AheadScans,
  aheadFiles,
  loadersOf,
  scanAhead,
  type ScanAheadSpec,
} from '../../../src/sources/csv/scan-ahead.js';
import { scanFile, type FileScanResult, type ScanOptions } from '../../../src/sources/csv/scan-file.js';
import { CsvWorkerPool } from '../../../src/sources/csv/worker-pool.js';
import { csvWorkerUrl } from '../../../src/sources/csv/worker-url.js';
import { SAMPLE_DATA_DIR } from '../../../src/version.js';
import { DIST_CLI } from '../../helpers/server.js';

const require = createRequire(import.meta.url);
const urls = {
  yamlUrl: pathToFileURL(require.resolve('yaml')).href,
  globUrl: pathToFileURL(require.resolve('tinyglobby')).href,
};
const dir = mkdtempSync(join(tmpdir(), 'dqm-scan-ahead-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a pipeline file into the temporary directory; returns its path. */
function pipeline(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const sample = (name: string): string => join(SAMPLE_DATA_DIR, name);

describe('aheadFiles', () => {
  it('gives the files the run expands, sorted and distinct (JSON, YAML, globs, one string)', async () => {
    const loaders = loadersOf({ pipeline: '', read: DEFAULT_READ_SETTINGS, ...urls });
    const patterns = [
      `${SAMPLE_DATA_DIR}/*_2D_*.csv`,
      `${SAMPLE_DATA_DIR}/*.csv`,
      sample('ZeroBias_2018A_DataFrame_1D_2.csv'),
    ];
    const expected = await expandFiles(patterns, { file: 'p', dir });
    const json = pipeline(
      'p.json',
      JSON.stringify({ version: 1, source: { type: 'ml4dqm-csv', files: patterns, dimensionality: '2' } }),
    );
    expect(await aheadFiles(json, loaders)).toEqual({ files: expected, dim: 2 });
    const yaml = pipeline(
      'p.yaml',
      `source:\n  type: ml4dqm-csv\n  files:\n${patterns.map((p) => `    - ${p}\n`).join('')}`,
    );
    expect(await aheadFiles(yaml, loaders)).toEqual({ files: expected, dim: undefined });
    const one = pipeline(
      'one.yaml',
      `source: {type: ml4dqm-csv, files: ${sample('ZeroBias_2018A_DataFrame_1D_2.csv')}}\n`,
    );
    expect(await aheadFiles(one, loaders)).toEqual({
      files: [sample('ZeroBias_2018A_DataFrame_1D_2.csv')],
      dim: undefined,
    });
  });

  it('resolves relative paths against the pipeline file, as the run does', async () => {
    const file = pipeline('rel.json', JSON.stringify({ source: { type: 'ml4dqm-csv', files: ['data.csv'] } }));
    writeFileSync(join(dir, 'data.csv'), 'x\n');
    expect(await aheadFiles(file, {})).toEqual({ files: [join(dir, 'data.csv')], dim: undefined });
  });

  it.each([
    ['another source', { source: { type: 'dqm-playground', files: ['a.csv'] }, note: 'ml4dqm-csv' }],
    ['a variable', { source: { type: 'ml4dqm-csv', files: ['${DATA}/x.csv'] } }],
    ['a missing file', { source: { type: 'ml4dqm-csv', files: ['missing.csv'] } }],
    ['a glob matching nothing', { source: { type: 'ml4dqm-csv', files: ['none/*.csv'] } }],
    ['no files', { source: { type: 'ml4dqm-csv', files: [] } }],
    ['a bad dimensionality', { source: { type: 'ml4dqm-csv', files: ['data.csv'], dimensionality: 3 } }],
  ])('guesses nothing for %s', async (_, doc) => {
    writeFileSync(join(dir, 'data.csv'), 'x\n');
    const file = pipeline('doubt.json', JSON.stringify(doc));
    expect(await aheadFiles(file, loadersOf({ pipeline: file, read: DEFAULT_READ_SETTINGS, ...urls }))).toBeNull();
  });

  it('guesses nothing without the parser or matcher the text needs', async () => {
    const yaml = pipeline(
      'noparser.yaml',
      `source: {type: ml4dqm-csv, files: [${sample('ZeroBias_2018A_DataFrame_1D_2.csv')}]}\n`,
    );
    expect(await aheadFiles(yaml, {})).toBeNull();
    const glob = pipeline(
      'noglob.json',
      JSON.stringify({ source: { type: 'ml4dqm-csv', files: [`${SAMPLE_DATA_DIR}/*.csv`] } }),
    );
    expect(await aheadFiles(glob, {})).toBeNull();
  });
});

describe('scanAhead', () => {
  const files = ['a', 'b', 'c', 'd'].map((n) => join(dir, `${n}.csv`));
  const spec = (): ScanAheadSpec => {
    for (const f of files) writeFileSync(f, 'x\n');
    return {
      pipeline: pipeline('four.json', JSON.stringify({ source: { type: 'ml4dqm-csv', files } })),
      read: DEFAULT_READ_SETTINGS,
    };
  };
  const options: ScanOptions = { ...DEFAULT_READ_SETTINGS, dim: undefined };
  const fake = (path: string): FileScanResult => ({ path }) as unknown as FileScanResult;

  it('scans the files in order and hands each scan out once, for the same options only', async () => {
    const scans = new AheadScans();
    const scanned: string[] = [];
    await scanAhead(spec(), scans, (p) => (scanned.push(p), fake(p)), {});
    expect(scanned).toEqual(files);
    expect(scans.take(files[0], { ...options, dim: 2 })).toBeUndefined();
    expect(scans.take(files[0], options)).toEqual(fake(files[0]));
    expect(scans.take(files[0], options)).toBeUndefined();
  });

  it('leaves a file a request asked for first to the request', async () => {
    const scans = new AheadScans();
    const scanned: string[] = [];
    await scanAhead(
      spec(),
      scans,
      (p) => {
        // A request for c arrives while b is scanned: c is scanned by the request, not again here.
        if (p === files[1]) expect(scans.take(files[2], options)).toBeUndefined();
        scanned.push(p);
        return fake(p);
      },
      {},
    );
    expect(scanned).toEqual([files[0], files[1], files[3]]);
  });

  it('scans the files of a convert, relative to its directory', async () => {
    const scans = new AheadScans();
    const scanned: string[] = [];
    spec();
    await scanAhead({ files: ['d.csv', '*.csv'], dir, read: DEFAULT_READ_SETTINGS, ...urls }, scans, (p) => {
      scanned.push(p);
      return fake(p);
    });
    expect(scanned).toEqual(await expandFiles(['d.csv', '*.csv'], { file: 'convert', dir }));
    expect(scanned).toEqual(expect.arrayContaining(files));
  });

  it('stops quietly when a scan fails (the request reports it)', async () => {
    const scans = new AheadScans();
    await expect(
      scanAhead(
        spec(),
        scans,
        (p) => {
          if (p === files[1]) throw new Error('EIO');
          return fake(p);
        },
        {},
      ),
    ).resolves.toBeUndefined();
    expect(scans.take(files[0], options)).toEqual(fake(files[0]));
    expect(scans.take(files[2], options)).toBeUndefined();
  });
});

describe('an early CSV worker', () => {
  it('is adopted by the pool, which gets the scans a fresh worker makes', async () => {
    const files = [
      sample('ZeroBias_2018A_DataFrame_1D_synthetic.csv'),
      sample('ZeroBias_2018A_DataFrame_2D_synthetic.csv'),
    ];
    const file = pipeline('early.json', JSON.stringify({ source: { type: 'ml4dqm-csv', files } }));
    startEarlyCsvWorker(csvWorkerUrl(), { ahead: { pipeline: file, read: DEFAULT_READ_SETTINGS } });
    const adopting = new CsvWorkerPool(1);
    expect(takeEarlyCsvWorker(csvWorkerUrl())).toBeUndefined(); // handed over once
    const fresh = new CsvWorkerPool(1);
    try {
      const options = { ...DEFAULT_READ_SETTINGS, dim: undefined };
      for (const f of files) {
        const ahead = await adopting.scan(f, options);
        expect(ahead).toEqual(await fresh.scan(f, options));
        expect(ahead).toEqual(scanFile(f, options));
      }
      // A second scan of a file is made afresh (the one made ahead was handed out).
      expect(await adopting.scan(files[0], options)).toEqual(scanFile(files[0], options));
    } finally {
      await Promise.all([adopting.close(), fresh.close()]);
    }
  }, 60_000);

  it('is not adopted for another script, nor once it has failed', async () => {
    const failing = new URL('data:text/javascript,throw new Error("no")');
    const worker = startEarlyCsvWorker(failing, {});
    expect(takeEarlyCsvWorker(csvWorkerUrl())).toBeUndefined();
    await new Promise((resolve) => worker.once('error', resolve));
    expect(takeEarlyCsvWorker(failing)).toBeUndefined();
    // Nothing is left to adopt.
    expect(takeEarlyCsvWorker(failing)).toBeUndefined();
    expect(worker).toBeInstanceOf(Worker);
  }, 60_000);
});

describe('dqm-export run of a CSV pipeline (built CLI, workers started ahead)', () => {
  /** Runs the built CLI; a child still alive after 60 s is killed (code null): it would have hung. */
  const run = (args: string[]): Promise<{ code: number | null; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [DIST_CLI, ...args], {
        env: { ...process.env, CI: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
  const files = `files: [${sample('ZeroBias_2018A_DataFrame_1D_2.csv')}]`;

  it('exits when no stream adopts them (no histogram stream) and when the run fails before its streams', async () => {
    expect(existsSync(DIST_CLI), `${DIST_CLI} missing: npm run build first`).toBe(true);
    const lumis = pipeline(
      'lumis.yaml',
      `version: 1\nname: lumis\nsource: {type: ml4dqm-csv, ${files}}\nstreams:\n  - {name: ls, endpoint: lumisections, output: {path: ls}}\n`,
    );
    const ok = await run(['run', lumis, '--out', join(dir, 'out-lumis'), '--log-level', 'warn']);
    expect(ok).toEqual({ code: 0, stderr: '' });
    const bad = pipeline(
      'bad.yaml',
      `version: 1\nname: bad\nsource: {type: ml4dqm-csv, files: [missing.csv]}\nstreams:\n  - {name: h, endpoint: lumisection_histograms_1d, output: {path: h}}\n`,
    );
    const failed = await run(['run', bad, '--out', join(dir, 'out-bad')]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/E_SOURCE_FILES/);
  }, 150_000);
});
