/** `output.path` absolute or relative: where a run writes, with and without --out. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/config/index.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { silentLogger } from '../../src/log.js';

let server: RunningServer;
const dirs: string[] = [];
beforeAll(async () => {
  server = await startServer({ port: 0 });
});
afterAll(async () => {
  await server?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'dqm-outpath-'));
  dirs.push(d);
  return d;
}

async function run(dir: string, paths: string[], outDir?: string): Promise<void> {
  const streams = paths.map((p, i) => `  - {name: s${i}, endpoint: runs, output: {path: "${p}"}}`).join('\n');
  const file = join(dir, 'p.yaml');
  await writeFile(
    file,
    `version: 1\nname: paths\nsource: {type: dqm-playground, url: "\${DQM_PLAYGROUND_URL}", token: "\${DQM_PLAYGROUND_TOKEN}"}\nstreams:\n${streams}\n`,
  );
  const env = { ...process.env, DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: server.userToken };
  await runPipeline(await loadPipeline(file, { env }), { env, logger: silentLogger, outDir });
}

describe('output.path', () => {
  it('an absolute path is used as written; a relative one resolves against --out, else the file directory', async () => {
    const dir = await tmp();
    const out = await tmp();
    const absolute = join(await tmp(), 'abs', 'runs');
    await run(dir, [absolute, 'rel/runs'], out);
    expect(existsSync(join(absolute, '.dqm-export', 'journal.jsonl'))).toBe(true);
    expect(existsSync(join(out, 'rel', 'runs', '.dqm-export', 'journal.jsonl'))).toBe(true);
    expect(existsSync(join(out, absolute))).toBe(false);

    const other = await tmp();
    await run(other, ['rel/runs']);
    expect(existsSync(join(other, 'rel', 'runs', '.dqm-export', 'journal.jsonl'))).toBe(true);
  });
});
