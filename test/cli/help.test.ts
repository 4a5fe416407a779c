/**
 * `--help` of every command, in-process: yargs prints help with console.log and then calls
 * process.exit, so both are intercepted here (the binary test checks one for real).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

afterEach(() => {
  vi.restoreAllMocks();
});

async function help(args: string[]): Promise<{ text: string; exitCodes: unknown[] }> {
  let text = '';
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (text += a.join(' ') + '\n'));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (text += a.join(' ') + '\n'));
  const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  await main([...args, '--help']);
  return { text, exitCodes: exit.mock.calls.map((c) => c[0]) };
}

describe('--help', () => {
  const commands: [string[], RegExp][] = [
    [['runs', 'list'], /dqm-export runs list -f run_number=315705 +one run/],
    [['lumisections', 'list'], /dqm-export lumisections list -f run=315705/],
    [
      ['histograms', 'list'],
      /# the 1D histograms of run 315705.*\n {2}dqm-export histograms list --dim 1 -f lumisection__run__run_number=315705\n/,
    ],
    [['histograms', 'get'], /dqm-export histograms get --dim 2 1 --format json/],
    [['histograms', 'delete'], /dqm-export histograms delete --dim 1 248 249/],
    [['files', 'list'], /dqm-export files list -f processing_complete=false/],
    [['files', 'parse'], /dqm-export files parse 3 --dim 2 --wait/],
    [['files', 'wait'], /dqm-export files wait 3 --timeout 60/],
    [['files', 'discover'], /dqm-export files discover --wait/],
  ];
  it.each(commands)('%j has its options and an example', async (args, example) => {
    const { text, exitCodes } = await help(args);
    expect(exitCodes).toEqual([0]);
    expect(text).toContain(`dqm-export ${args.join(' ')}`);
    expect(text).toContain('Connection:');
    expect(text).toMatch(/Examples:\n/);
    expect(text).toMatch(example);
  });

  it('list commands print the filters of their endpoint', async () => {
    expect((await help(['histograms', 'list'])).text).toMatch(
      /Filters of the histogram lists \(1D and 2D\):\n {2}lumisection__run__run_number +run number\n/,
    );
    expect((await help(['files', 'list'])).text).toMatch(/Filters of histogram_data_files:\n {2}id +data file id\n/);
  });

  it('the groups list their commands', async () => {
    expect((await help(['histograms'])).text).toMatch(
      /histograms list[\s\S]*histograms get <id>[\s\S]*histograms delete <ids\.\.>/,
    );
    expect((await help(['files'])).text).toMatch(
      /files list[\s\S]*files parse \[id\][\s\S]*files wait <id>[\s\S]*files discover/,
    );
  });

  it('demo has no plan or shard options; run has them', async () => {
    const demo = (await help(['demo'])).text;
    for (const flag of ['--plan', '--shard', '--shards']) expect(demo).not.toMatch(new RegExp(`${flag}\\b`));
    expect(demo).toContain('--out');
    const run = (await help(['run'])).text;
    for (const flag of ['--plan', '--shard ', '--shards']) expect(run).toContain(flag);
  });

  it('files parse names the server-side format --file-format (--format is the output format elsewhere)', async () => {
    const text = (await help(['files', 'parse'])).text;
    expect(text).toMatch(/--file-format +File format the server reads the file as/);
    expect(text).not.toMatch(/--format\b/);
    expect((await help(['files', 'list'])).text).toMatch(/--format/);
  });

  it('the listing options are declared once; each source keeps its wording, DIALS adds --fields and --page-size', async () => {
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    const runs = flat((await help(['runs', 'list'])).text);
    expect(runs).toContain('-f, --filter Server-side filter key=value (repeatable; see the list below) [array]');
    expect(runs).toContain(
      '--limit Print at most N records (default 50) --all Print every record, fetching pages concurrently',
    );
    expect(runs).toContain('Filters of runs: run_number run number run_date run date');
    const dials = flat((await help(['dials', 'runs', 'list'])).text);
    expect(dials).toContain(
      '-f, --filter DIALS filter key=value (repeatable; order_by may repeat; see the list below) [array]',
    );
    expect(dials).toMatch(
      /--limit Print at most N records \(default: the server's first page, 10 records on DIALS\) --all Print every record: the whole cursor walk, proven complete \[boolean\] --fields .* --page-size Records per request/,
    );
    expect(dials).toContain('Filters of run/: dataset_id dataset id dataset_id__in dataset ids, comma-separated');
    for (const args of [
      ['runs', 'list'],
      ['dials', 'runs', 'list'],
    ])
      expect(flat((await help(args)).text)).toContain(
        '--format Output format: table, json, jsonl, csv (default: table on a terminal, jsonl otherwise) [string]',
      );
  });
});
