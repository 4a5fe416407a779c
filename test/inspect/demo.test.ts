/** `dqm-export demo` (what `npm start` runs) ends with the inspect summary of each dataset and writes the report next to them. */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from '../cli/harness.js';

it('demo ends with the inspect summary and the report path', async () => {
  const out = await mkdtemp(join(tmpdir(), 'dqm-inspect-demo-'));
  const r = await runCli(['demo', '--out', out, '--log-level', 'warn', '--no-progress'], { env: { CI: '1' } });
  expect(r.code).toBe(0);
  const tail = r.stdout.slice(r.stdout.indexOf('\ninspect:\n'));
  expect(tail.split('\n').filter(Boolean)).toEqual([
    'inspect:',
    '  runs: complete, 4 records',
    '  lumisections: complete, 121 records',
    '  h1d: complete, 240 records, 2 titles (100 bins, float64 nested), 3 runs; checks all pass',
    '  h2d: complete, 240 records, 2 titles (56x72 bins, float32 tensor), 3 runs; checks all pass',
    '  h2d_array: complete, 240 records, 2 titles (56x72 bins, float32 array), 3 runs; checks all pass',
    `  report: ${join(out, 'demo', 'report.html')}`,
  ]);
  expect(existsSync(join(out, 'demo', 'report.html'))).toBe(true);
}, 180_000);
