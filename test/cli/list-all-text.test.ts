/**
 * `list --all` formats records batch by batch: the text is byte for byte what printing the whole
 * list at once gives, in every format (footer included), both for batches handed over by a source
 * and through the CLI against the local server (one page in flight, so the order is fixed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lumisection, Run } from '../../src/domain.js';
import { createClient } from '../../src/extract/index.js';
import { runList, type RecordSource } from '../../src/cli/query/list.js';
import { OUTPUT_FORMATS } from '../../src/cli/output/format.js';
import { lumisectionView, runView } from '../../src/cli/output/views.js';
import { createRecordWriter } from '../../src/cli/output/writer.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { runCli } from './harness.js';

const USER = 'user-token-list-text-0123456789';
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

describe('list --all', () => {
  it.each(OUTPUT_FORMATS)('--format %s: batches print as the same list whole would', async (format) => {
    const runs = Array.from({ length: 7 }, (_, i) => ({ run_number: 315000 + i, year: 2018 }) as unknown as Run);
    const print = async (batches: Run[][]) => {
      const io = { stdout: collector(format === 'table' ? 100 : undefined), stderr: collector() };
      const source: RecordSource<Run> = async (_filters, _limit, onBatch) => {
        for (const batch of batches) onBatch(batch);
        return { total: null };
      };
      await runList('runs', source, runView, { all: true, format }, io);
      return [io.stdout.text, io.stderr.text];
    };
    expect(await print([runs.slice(0, 3), [], runs.slice(3)])).toEqual(await print([runs]));
  });

  it.each(OUTPUT_FORMATS)(
    'lumisections list --all --format %s: the text of the whole list printed at once',
    async (format) => {
      // One page in flight on both sides: `--all` keeps the order pages arrive in, fixed only then.
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

  it('histograms list --all at --concurrency 16, pages past the end requested with page 1: each record once', async () => {
    const args = ['histograms', 'list', '--dim', '1', '--all', '--format', 'jsonl', '--concurrency', '16'];
    const env = { DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: USER };
    const ahead = await runCli(args, { env });
    const plain = await runCli(args, { env: { ...env, DQM_EXPORT_SPECULATIVE_PAGES: '0' } });
    expect(ahead.code, ahead.stderr).toBe(0);
    expect(plain.code, plain.stderr).toBe(0);
    const lines = (text: string) => text.split('\n').filter(Boolean);
    const ids = lines(ahead.stdout).map((l) => (JSON.parse(l) as { id: number }).id);
    expect(ids.length).toBeGreaterThan(50); // several pages, fewer than 16
    expect(new Set(ids).size).toBe(ids.length);
    expect(lines(ahead.stdout).sort()).toEqual(lines(plain.stdout).sort());
  }, 60_000);
});
