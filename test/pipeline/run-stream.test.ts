/**
 * runStream's start (src/pipeline/run-stream.ts, prepareAndPlan): the plan's requests (the run list)
 * go out while the output directory is prepared, except for an incremental stream, whose plan starts
 * at the cursor kept in that directory; an output that cannot be prepared reports its own error and
 * stops the planning; a planning error still comes after the output was prepared. A fake source
 * stands for the server: what is checked is the order of the two, seen from the plan.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePipelineText, type Stream } from '../../src/config/index.js';
import { writeCursor } from '../../src/dataset/cursor.js';
import { emptyStats } from '../../src/extract/http/transport.js';
import { silentLogger } from '../../src/log.js';
import { runStream } from '../../src/pipeline/run-stream.js';
import type { PlanOptions, Source, SourceEvent, SourceSlice } from '../../src/sources/source.js';
import { captureRecords } from '../load/fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dqm-run-stream-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function streamOf(extra = '', mode = 'overwrite', endpoint = 'lumisection_histograms_1d'): Stream {
  const text = [
    'version: 1',
    'name: t',
    'source: {type: dqm-playground, url: "http://127.0.0.1:9"}',
    'streams:',
    '  - name: h1d',
    `    endpoint: ${endpoint}`,
    `    output: {path: out, mode: ${mode}}`,
    extra,
  ].join('\n');
  return parsePipelineText(text, join(dir, 'p.yaml')).streams[0]!;
}

/** A source whose `plan` is the given function; it has no records. */
function sourceWith(plan: (stream: Stream, options?: PlanOptions) => Promise<SourceSlice[]>): Source {
  return {
    kind: 'dqm-playground',
    origin: 'http://127.0.0.1:9',
    concurrency: 1,
    stats: emptyStats(),
    plan,
    estimate: () => Promise.resolve([]),
    extract: async function* () {},
    provenance: (stream) => ({ sourceUrl: 'http://127.0.0.1:9/api/', endpoint: stream.endpoint, filters: {} }),
    close: () => Promise.resolve(),
  };
}

const common = { configHash: 'h', resume: false, logger: silentLogger };

describe('runStream: planning and the output', () => {
  it('plans while the output directory is prepared', async () => {
    // A first run leaves a finished dataset: its marker is what preparing an overwrite removes first.
    const marker = join(dir, 'out', '.dqm-export', '_SUCCESS');
    await runStream(streamOf(), { ...common, source: sourceWith(async () => []), outRoot: dir });
    expect(existsSync(marker)).toBe(true);
    let markerAtPlan: boolean | undefined;
    const source = sourceWith(async () => {
      markerAtPlan = existsSync(marker);
      return [];
    });
    const summary = await runStream(streamOf(), { ...common, source, outRoot: dir });
    expect(markerAtPlan).toBe(true);
    expect(summary.slices).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });

  it('plans an incremental stream once its output directory was read (the cursor is there)', async () => {
    await writeCursor(join(dir, 'out'), 315705);
    const minRuns: (number | undefined)[] = [];
    const source = sourceWith(async (_stream, options) => {
      minRuns.push(options?.minRun);
      return [];
    });
    await runStream(streamOf('    incremental: {cursor: run}', 'append'), { ...common, source, outRoot: dir });
    expect(minRuns).toEqual([315706]);
  });

  it('reports an output that cannot be prepared, and stops the planning', async () => {
    writeFileSync(join(dir, 'out'), 'a file where the dataset directory goes');
    let aborted = false;
    const source = sourceWith(
      (_stream, options) =>
        new Promise((_resolve, reject) => {
          options?.signal?.addEventListener('abort', () => {
            aborted = true;
            reject(options.signal?.reason);
          });
        }),
    );
    const error = await runStream(streamOf(), { ...common, source, outRoot: dir }).catch((e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect((error as Error).message).toContain(join(dir, 'out', '.dqm-export'));
    expect(aborted).toBe(true);
  });

  it('reports a planning error, with no run started in the journal', async () => {
    const failure = new Error('the run list could not be fetched');
    const source = sourceWith(() => Promise.reject(failure));
    await expect(runStream(streamOf(), { ...common, source, outRoot: dir })).rejects.toBe(failure);
    expect(existsSync(join(dir, 'out', '.dqm-export', 'journal.jsonl'))).toBe(false);
  });

  it("stops the planning when the run's own signal aborts", async () => {
    const controller = new AbortController();
    let seen: unknown;
    const source = sourceWith(
      (_stream, options) =>
        new Promise((_resolve, reject) => {
          options?.signal?.addEventListener('abort', () => {
            seen = options.signal?.reason;
            reject(options.signal?.reason);
          });
          controller.abort(new Error('SIGINT'));
        }),
    );
    const error = await runStream(streamOf(), { ...common, source, outRoot: dir, signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe('SIGINT');
    expect(seen).toBe(error);
  });
});

describe('runStream: slices commit beside the loop', () => {
  it('commits every slice of many, each once, files and journal lines alike', async () => {
    const records = captureRecords('93_h2d_filter_run_ls_title.json');
    const slices: SourceSlice[] = Array.from({ length: 40 }, (_, i) => ({
      key: `run=${1000 + i}`,
      endpoint: 'lumisection_histograms_2d',
      filters: {},
      partition: { run: 1000 + i },
    }));
    const report = { total: records.length, received: records.length, duplicates: 0, repairs: 0, retries: 0 };
    const source: Source = {
      ...sourceWith(async () => slices),
      concurrency: 4,
      extract: async function* (planned): AsyncGenerator<SourceEvent> {
        for (const slice of planned) {
          yield { type: 'batch', slice, records, bytes: 1000 };
          yield { type: 'slice-done', slice, report: { ...report, pages: 1, bytes: 1000, elapsedMs: 1 } };
        }
      },
    };
    const stream = streamOf('', 'overwrite', 'lumisection_histograms_2d');
    const summary = await runStream(stream, { ...common, source, outRoot: dir });
    expect(summary).toMatchObject({ slices: 40, records: 40 * records.length, files: 40 });
    const journal = readFileSync(join(dir, 'out', '.dqm-export', 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; key?: string });
    const keys = journal.filter((e) => e.type === 'slice').map((e) => e.key);
    expect(keys.sort()).toEqual(slices.map((s) => s.key).sort());
    expect(journal.at(-1)?.type).toBe('done');
    const files = readdirSync(join(dir, 'out')).filter((f) => f.endsWith('.parquet'));
    expect(files).toHaveLength(40);
  });
});
