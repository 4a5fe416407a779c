/**
 * runList (src/cli/query/list.ts) over a source that delivers batches: records are formatted batch
 * by batch, stdout sees the whole listing only once it is complete, and a failure part-way prints
 * nothing.
 */
import { describe, expect, it } from 'vitest';
import { runList, type RecordSource } from '../../src/cli/query/list.js';
import { runView } from '../../src/cli/output/views.js';
import type { Run } from '../../src/domain.js';
import { ServerError } from '../../src/errors.js';

const run = (n: number): Run => ({ run_number: n, date: `2018-05-${String(n % 28).padStart(2, '0')}` }) as Run;
const BATCHES = [[run(1), run(2)], [run(3)], [run(4), run(5), run(6)]];

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    streams: {
      stdout: { write: (s: string) => out.push(s), isTTY: false },
      stderr: { write: (s: string) => err.push(s) },
    },
  };
}

describe('runList with a batch source', () => {
  it('prints every batch in order, once the source is done', async () => {
    const { out, streams } = io();
    let delivered = 0;
    const source: RecordSource<Run> = async (_filters, limit, onBatch) => {
      expect(limit).toBeUndefined();
      for (const batch of BATCHES) {
        onBatch(batch);
        delivered++;
        expect(out).toEqual([]); // nothing reaches stdout before the listing is complete
      }
      return { total: 6 };
    };
    await runList('runs', source, runView, { all: true, format: 'jsonl' }, streams);
    expect(delivered).toBe(3);
    expect(out.join('')).toBe(
      BATCHES.flat()
        .map((r) => JSON.stringify(r) + '\n')
        .join(''),
    );
  });

  it('a failure after some batches prints nothing and rejects with the error', async () => {
    for (const format of ['jsonl', 'json', 'csv', 'table']) {
      const { out, err, streams } = io();
      const failure = new ServerError('E_DATA_CHANGED', 'slice all of runs changed during the export', {});
      const source: RecordSource<Run> = async (_filters, _limit, onBatch) => {
        onBatch(BATCHES[0]);
        onBatch(BATCHES[1]);
        throw failure;
      };
      await expect(runList('runs', source, runView, { all: true, format }, streams)).rejects.toBe(failure);
      expect([format, out, err]).toEqual([format, [], []]);
    }
  });

  it('a table counts the records of every batch in its footer', async () => {
    const { out, err, streams } = io();
    const source: RecordSource<Run> = async (_filters, _limit, onBatch) => {
      for (const batch of BATCHES) onBatch(batch);
      return { total: 10 };
    };
    await runList('runs', source, runView, { limit: 6, format: 'table' }, streams);
    expect(out.join('')).toContain('2018-05-06');
    expect(err).toEqual(['6 runs of 10; --limit N or --all for more\n']);
  });
});
