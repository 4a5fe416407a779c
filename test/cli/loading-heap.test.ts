/**
 * The built CLI holds the main isolate's young generation while `run`'s modules initialise
 * (src/cli/loading-heap.ts). Setting the flag makes Node compile every internal module it loads
 * afterwards without its code cache, so the hold loads RUN_INIT_BUILTINS first: this checks, through
 * the binary, that a one-record `run` loads no other internal module while the hold is in force
 * (one more would cost its code cache on every `run`: add it to RUN_INIT_BUILTINS), and that the
 * hold ends. On Node 22 and later the CLI does not hold (`youngGenerationHoldPays`), and this checks
 * that too. And that such a `run` leaves Node's rimraf out (src/load/atomic.ts, `removeFile`): loaded
 * after the command's flags are set, it compiled without its code cache on every `run`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/index.js';
import {
  holdYoungGenerationWhileLoading,
  RUN_INIT_BUILTINS,
  youngGenerationHoldPays,
} from '../../src/cli/loading-heap.js';
import { withServer } from '../helpers/server.js';
import { BIN, binBuilt, runBin } from './harness.js';

const PRELOAD = fileURLToPath(new URL('../fixtures/cli/loading-hold-preload.cjs', import.meta.url));

interface HoldReport {
  held: boolean;
  released: boolean;
  loadedWhileHeld: string[];
  /** Node's internal modules loaded by exit. */
  loaded: string[];
}

let server: RunningServer;
let dir: string;
beforeAll(async () => {
  server = await withServer({ synthetic: 'runs=1,ls=1,titles=1,dim=1,x=10' });
  dir = mkdtempSync(join(tmpdir(), 'dqm-loading-heap-'));
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runOne(pipeline: object, name: string): Promise<{ code: number; stdout: string; report: HoldReport }> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(pipeline));
  const reportFile = join(dir, `${name}-hold.json`);
  const args = ['run', file, '--out', join(dir, `out-${name}`), '--no-progress', '--log-level', 'warn'];
  const env = { DQM_PLAYGROUND_TOKEN: server.adminToken, DQM_TEST_HOLD_FILE: reportFile };
  const r = await runBin(args, env, undefined, undefined, ['-r', PRELOAD, BIN]);
  return { code: r.code, stdout: r.stdout, report: JSON.parse(readFileSync(reportFile, 'utf8')) as HoldReport };
}

describe('holdYoungGenerationWhileLoading', () => {
  it('loads the builtins first and releases once', () => {
    const release = holdYoungGenerationWhileLoading(['node:zlib']);
    // Node's list of the internal modules it loaded (untyped).
    expect((process as unknown as { moduleLoadList: string[] }).moduleLoadList).toContain('NativeModule zlib');
    release();
    release();
  });

  it('pays on V8 11 (Node 20) only', () => {
    expect(youngGenerationHoldPays('11.3.244.8-node.33')).toBe(true);
    expect(youngGenerationHoldPays('12.4.254.21-node.33')).toBe(false);
    expect(youngGenerationHoldPays('13.6.233.17-node.37')).toBe(false);
  });

  it('names builtins Node has', () => {
    for (const name of RUN_INIT_BUILTINS) expect(process.getBuiltinModule(name)).toBeTruthy();
  });
});

describe.skipIf(!binBuilt)('the young generation hold of the built CLI', () => {
  it('loads no other internal module while a run of an HTTP source holds it, and ends (Node 20; none later); no rimraf', async () => {
    const { code, stdout, report } = await runOne(
      {
        version: 1,
        name: 'one',
        source: { type: 'dqm-playground', url: server.url },
        streams: [{ name: 'one', endpoint: 'lumisection_histograms_1d', output: { path: 'one', mode: 'overwrite' } }],
      },
      'api',
    );
    expect(code).toBe(0);
    expect(stdout).toContain('"records":1');
    const held = youngGenerationHoldPays();
    expect(report).toMatchObject({ held, released: held, loadedWhileHeld: [] });
    expect(report.loaded).toContain('fs'); // the list is there
    expect(report.loaded).not.toContain('internal/fs/rimraf');
  });
});
