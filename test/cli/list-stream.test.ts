/**
 * `list --all` prints records as the executor delivers them instead of holding the whole list: the
 * first batch is on stdout before the second is fetched, and the text is byte for byte what printing
 * the whole list at once (`listAll`, the former way) gives, in every format, footer included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lumisection, Run } from '../../src/domain.js';
import { createClient } from '../../src/extract/index.js';
import { pagedSource, runList, type RecordSource } from '../../src/cli/query/list.js';
import { OUTPUT_FORMATS } from '../../src/cli/output/format.js';
import { lumisectionView, runView } from '../../src/cli/output/views.js';
import { createRecordWriter } from '../../src/cli/output/writer.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { runCli } from './harness.js';

const USER = 'user-token-stream-0123456789';
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ port: 0, userToken: USER });
});
afterAll(() => server?.close());

/** A stdout that collects text (a terminal of `columns` when given). */
function collector(columns?: number) {
  const out = { text: '', isTTY: columns !== undefined, columns, write: (s: string) => void (out.text += s) };
  return out;
}

describe('list --all streams', () => {
  it('the first batch is printed before the second is asked for', async () => {
    const runs = [{ run_number: 1 }, { run_number: 2 }, { run_number: 3 }] as Run[];
    const stdout = collector();
    let printedBeforeSecond: string | undefined;
    async function* batches(): AsyncGenerator<Run[]> {
      yield runs.slice(0, 2);
      printedBeforeSecond = stdout.text;
      yield runs.slice(2);
    }
    const source: RecordSource<Run> = async () => ({ records: batches(), total: null });
    await runList('runs', source, runView, { all: true, format: 'jsonl' }, { stdout, stderr: collector() });
    expect(printedBeforeSecond).toBe('{"run_number":1}\n{"run_number":2}\n');
    expect(stdout.text).toBe('{"run_number":1}\n{"run_number":2}\n{"run_number":3}\n');
  });

  it.each(OUTPUT_FORMATS)('--format %s: batches print as the same list whole would', async (format) => {
    const runs = Array.from({ length: 7 }, (_, i) => ({ run_number: 315000 + i, year: 2018 }) as unknown as Run);
    const print = async (records: Run[] | AsyncIterable<Run[]>) => {
      const io = { stdout: collector(format === 'table' ? 100 : undefined), stderr: collector() };
      await runList('runs', async () => ({ records, total: null }), runView, { all: true, format }, io);
      return [io.stdout.text, io.stderr.text];
    };
    async function* batches(): AsyncGenerator<Run[]> {
      for (const [from, to] of [
        [0, 3],
        [3, 3],
        [3, 7],
      ])
        yield runs.slice(from, to);
    }
    expect(await print(batches())).toEqual(await print(runs));
  });

  it('pagedSource: --all hands over the pages as batches, the whole list once', async () => {
    const client = createClient({ baseUrl: server.url, token: USER });
    try {
      const { records, total } = await pagedSource(client, 'lumisections')({}, undefined);
      expect(Array.isArray(records)).toBe(false);
      const sizes: number[] = [];
      for await (const batch of records as AsyncIterable<Lumisection[]>) sizes.push(batch.length);
      const all = await client.listAll('lumisections', {});
      expect(sizes.length).toBeGreaterThan(1);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(all.length);
      expect(total).toBeNull(); // known only at the end; the footer needs none for --all
    } finally {
      await client.close();
    }
  });

  it.each(OUTPUT_FORMATS)(
    'lumisections list --all --format %s: the text of the whole list printed at once',
    async (format) => {
      // One page in flight on both sides: `--all` prints pages as they arrive, so only then is the order fixed.
      const client = createClient({ baseUrl: server.url, token: USER, concurrency: 1 });
      let records: Lumisection[];
      try {
        records = await client.listAll('lumisections', {});
      } finally {
        await client.close();
      }
      expect(records.length).toBeGreaterThan(100); // several pages
      const columns = format === 'table' ? 120 : undefined;
      const want = collector(columns);
      const writer = createRecordWriter({ format, view: lumisectionView, out: want, maxWidth: columns });
      writer.write(records);
      writer.end();

      const r = await runCli(['lumisections', 'list', '--all', '--format', format, '--concurrency', '1'], {
        env: { DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: USER },
        ttyColumns: columns,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(want.text);
      expect(r.stderr).toBe(format === 'table' ? `${records.length} lumisections\n` : '');
    },
    60_000,
  );
});
