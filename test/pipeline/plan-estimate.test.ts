/** The progress bar's estimate (src/pipeline/plan-estimate.ts): a sample of slices probed, the rest extrapolated. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePipelineText, type LoadedPipeline } from '../../src/config/index.js';
import { emptyStats } from '../../src/extract/http/transport.js';
import { estimateRunRecords, extrapolateRecords, sampleIndices } from '../../src/pipeline/plan-estimate.js';
import type { Source, SourceSlice } from '../../src/sources/source.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dqm-plan-estimate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('sampleIndices', () => {
  it('takes every index when there are few, else k spread from the first', () => {
    expect(sampleIndices(0, 4)).toEqual([]);
    expect(sampleIndices(3, 4)).toEqual([0, 1, 2]);
    expect(sampleIndices(4, 4)).toEqual([0, 1, 2, 3]);
    expect(sampleIndices(10, 4)).toEqual([0, 2, 5, 7]);
    expect(sampleIndices(400, 32)).toHaveLength(32);
    expect(new Set(sampleIndices(400, 32)).size).toBe(32);
    expect(Math.max(...sampleIndices(400, 32))).toBeLessThan(400);
    expect(sampleIndices(5, 0)).toEqual([0]);
  });
});

describe('extrapolateRecords', () => {
  it('is exact for a full sample, proportional otherwise', () => {
    expect(extrapolateRecords([], 10)).toBe(0);
    expect(extrapolateRecords([5, 7, 9], 3)).toBe(21);
    expect(extrapolateRecords([10, 20], 10)).toBe(150);
    expect(extrapolateRecords([1, 2], 3)).toBe(5); // 4.5 rounded
  });
});

function loadedWith(streams: number): LoadedPipeline {
  const lines = ['version: 1', 'name: t', 'source: {type: dqm-playground, url: "http://127.0.0.1:9"}', 'streams:'];
  for (let i = 0; i < streams; i++)
    lines.push(`  - name: s${i}`, '    endpoint: lumisection_histograms_1d', `    output: {path: out${i}}`);
  const file = join(dir, 'p.yaml');
  return { pipeline: parsePipelineText(lines.join('\n'), file), file, dir, configHash: 'h' } as LoadedPipeline;
}

function sourceOf(slicesPerStream: number, recordsOf: (key: string) => number) {
  const probed: string[] = [];
  const source: Source = {
    kind: 'dqm-playground',
    origin: 'http://127.0.0.1:9',
    concurrency: 2,
    stats: emptyStats(),
    plan: async (stream) =>
      Array.from({ length: slicesPerStream }, (_, i): SourceSlice => ({
        key: `${stream.name}/run=${i}`,
        endpoint: stream.endpoint,
        filters: {},
        partition: {},
      })),
    estimate: async (slices) => {
      probed.push(...slices.map((s) => s.key));
      return slices.map((s) => ({ records: recordsOf(s.key), pages: 1, bytes: 100 }));
    },
    extract: async function* () {},
    provenance: (stream) => ({ sourceUrl: 'http://127.0.0.1:9/api/', endpoint: stream.endpoint, filters: {} }),
    close: () => Promise.resolve(),
  };
  return { source, probed };
}

describe('estimateRunRecords', () => {
  it('probes every slice of a small stream: the total is exact', async () => {
    const { source, probed } = sourceOf(3, (key) => Number(key.split('=')[1]) + 1);
    expect(await estimateRunRecords(loadedWith(2), source, { outRoot: dir, sample: 4 })).toBe(2 * (1 + 2 + 3));
    expect(probed).toHaveLength(6);
  });

  it('probes at most `sample` slices of each stream and extrapolates the rest', async () => {
    const { source, probed } = sourceOf(400, () => 10);
    expect(await estimateRunRecords(loadedWith(2), source, { outRoot: dir, sample: 32 })).toBe(2 * 400 * 10);
    expect(probed).toHaveLength(64);
    expect(new Set(probed).size).toBe(64);
  });
});
