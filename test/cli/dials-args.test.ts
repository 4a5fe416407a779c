/**
 * Every argument error of the DIALS listings, in process, from a table: one line naming the filter,
 * field or flag and what was expected, exit 2, and no request (the URL points where nothing listens,
 * so a request would end in E_NETWORK instead). The built binary is run for a few of them in
 * test/cli/dials-list.test.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { expectNoSecrets, NOWHERE, runCli } from './harness.js';

const TOKEN = 'dials-args-token-3e1b7c9d50';

const CASES: [string, string[], RegExp][] = [
  [
    'an unknown filter gets a did-you-mean',
    ['th1', '-f', 'run_number__gt=380000'],
    /^error E_FILTER_UNKNOWN: --filter of dials th1 list: unknown filter "run_number__gt" for th1 \(did you mean "run_number__gte"\?\); valid filters: dataset_id, /,
  ],
  [
    'a playground filter name on DIALS',
    ['lumisections', '-f', 'run=380000'],
    /^error E_FILTER_UNKNOWN: --filter of dials lumisections list: unknown filter "run" for lumisection \(did you mean "run_number__gte" or "run_number__lte"\?\)/,
  ],
  [
    'a regex PostgreSQL cannot compile',
    ['th2', '-f', 'me__regex=PXLayer_(1'],
    /^error E_FILTER_VALUE: filter me__regex of dials th2 list: not a valid PostgreSQL regular expression.*\(the server would answer 500\)$/,
  ],
  [
    'an order_by field DIALS does not have',
    ['th2', '-f', 'order_by=-entrie'],
    /^error E_FILTER_VALUE: filter order_by of dials th2 list: cannot order th2 by entrie \(did you mean "entries"\?\)/,
  ],
  [
    'a comma list in order_by',
    ['runs', '-f', 'order_by=run_number,dataset_id'],
    /^error E_FILTER_VALUE: filter order_by of dials runs list: give one field per order_by entry/,
  ],
  [
    'a run number that is not a number',
    ['th1', '-f', 'run_number=abc'],
    /^error E_FILTER_VALUE: filter run_number of dials th1 list: must be an integer >= 0, got "abc"$/,
  ],
  [
    'an __in list with a word',
    ['runs', '-f', 'dataset_id__in=14677060,x'],
    /^error E_FILTER_VALUE: filter dataset_id__in of dials runs list: /,
  ],
  [
    'a dim other than 1 or 2',
    ['mes', '-f', 'dim=3'],
    /^error E_FILTER_VALUE: filter dim of dials mes list: got "3"; valid dim values: 1, 2$/,
  ],
  [
    'a filter twice',
    ['runs', '-f', 'run_number=1', '-f', 'run_number=2'],
    /^error E_FILTER_REPEATED: filter run_number given twice/,
  ],
  ['no =', ['runs', '-f', 'run_number'], /^error E_FILTER_SYNTAX: --filter expects key=value, got "run_number"$/],
  [
    'an unknown field',
    ['files', '--fields', 'file_id,statuss'],
    /^error E_USAGE_FIELDS: --fields of dials files list: unknown field "statuss" \(did you mean "status"\?\); valid fields: /,
  ],
  [
    'a space in --fields',
    ['files', '--fields', 'file_id,,status'],
    /^error E_USAGE_FIELDS: --fields of dials files list expects names/,
  ],
  ['--limit 0', ['runs', '--limit', '0'], /^error E_USAGE_LIMIT: --limit expects a positive integer, got 0$/],
  [
    '--page-size over 500',
    ['runs', '--all', '--page-size', '501'],
    /^error E_USAGE_NUMBER: --page-size expects an integer from 1 to 500, got 501$/,
  ],
  ['--limit and --all', ['runs', '--all', '--limit', '3'], /^error E_USAGE: .*mutually exclusive/],
  ['a bad URL', ['runs', '--url', 'ftp://dials'], /^error E_USAGE: --url: /],
  [
    'a workspace in capitals',
    ['runs', '--workspace', 'Tracker'],
    /^error E_USAGE: --workspace: expected a lower-case workspace name/,
  ],
  [
    '--retries out of range',
    ['runs', '--retries', '99'],
    /^error E_USAGE_NUMBER: --retries expects an integer from 0 to 20, got 99$/,
  ],
  ['an unknown record group', ['histograms'], /^error E_USAGE: /],
];

describe('DIALS listing argument errors: one line, exit 2, nothing sent', () => {
  for (const [what, args, pattern] of CASES) {
    it(what, async () => {
      const [group, ...rest] = args;
      const url = rest.includes('--url') ? [] : ['--url', NOWHERE];
      const r = await runCli(['dials', group, 'list', ...rest, ...url], { env: { DIALS_TOKEN: TOKEN } });
      expectNoSecrets(r, [TOKEN]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(pattern);
    });
  }
});

describe('a DIALS without the auth/workspaces/ route', () => {
  it("answers an unknown workspace with its own 404, worded for --workspace with production's workspaces", async () => {
    const server = createServer((req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      const known = req.url?.startsWith('/api/v1/run/');
      res.end(JSON.stringify({ detail: known ? "Workspace 'pixel' not found" : 'Not found.' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await runCli(['dials', 'runs', 'list', '--workspace', 'pixel', '--url', url], {
        env: { DIALS_TOKEN: TOKEN },
      });
      expectNoSecrets(r, [TOKEN]);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd()).toMatch(
        /^error E_DIALS_WORKSPACE: unknown DIALS workspace pixel on http:\S+ \(--workspace\); the production deployment has: csc, ecal, .*tracker$/,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
