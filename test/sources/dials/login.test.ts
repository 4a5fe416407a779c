/**
 * `dqm-export login dials` end to end against `serve --api dials`: the device flow through the CLI, the
 * login file (0600), a pipeline that finds the tokens there, a refresh in the last 10 % of the access
 * token's life (the new token works, the file is updated), `logout`, and no token in anything written.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/log.js';
import { runPipeline } from '../../../src/pipeline/run-pipeline.js';
import type { RunningServer } from '../../../src/server/index.js';
import { createDialsClient } from '../../../src/sources/dials/client.js';
import { storedCredentials } from '../../../src/sources/dials/credentials.js';
import { refreshTokens } from '../../../src/sources/dials/login.js';
import { readTokens, tokenFilePath } from '../../../src/sources/dials/token-store.js';
import { startDialsFixtureServer } from '../../helpers/dials.js';
import { DIST_CLI } from '../../helpers/server.js';

const exec = promisify(execFile);
let work: string;
let server: RunningServer;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'dials-login-'));
  server = await startDialsFixtureServer({ deviceAutoApprove: 2, tokenTtlSeconds: 1200 });
}, 240_000);

afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

describe('login dials', () => {
  it('logs in with the device flow, exports with the stored tokens, refreshes them, logs out', async () => {
    const config = join(work, 'config');
    const env = { ...process.env, XDG_CONFIG_HOME: config, DIALS_TOKEN: '' };
    const login = await exec(
      process.execPath,
      [DIST_CLI, 'login', 'dials', '--url', server.url, '--poll-interval', '0.05'],
      { env },
    );
    expect(login.stderr).toContain(`${server.url}/device/?user_code=`);
    expect(login.stderr).toContain('Logged in');
    const file = tokenFilePath({ XDG_CONFIG_HOME: config });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const first = readTokens(file, server.url)!;
    expect(first.access_token.length).toBeGreaterThan(10);

    // A pipeline without any token in it or in the environment uses the login file.
    const pipelineFile = join(work, 'p.yaml');
    await writeFile(
      pipelineFile,
      `version: 1\nname: login\nsource: {type: dials, url: '${server.url}'}\nstreams:\n  - name: runs\n    endpoint: run\n    output: {path: runs}\n`,
    );
    const out = join(work, 'out');
    const summary = await runPipeline(await loadPipeline(pipelineFile, { env: {} }), {
      logger: silentLogger,
      outDir: out,
      env: { XDG_CONFIG_HOME: config },
    });
    expect(summary.streams[0].records).toBe(10);

    // In the last 10 % of the token's life the credentials refresh it first, and store the new pair.
    const anonymous = createDialsClient({ baseUrl: server.url, credentials: null, concurrency: 1 });
    const late = first.issued_at + 0.95 * (first.expires_at - first.issued_at);
    const creds = storedCredentials(
      file,
      server.url,
      (t) => refreshTokens(anonymous, t),
      () => late,
    );
    const headers = await creds.headers();
    await anonymous.close();
    const second = readTokens(file, server.url)!;
    expect(second.access_token).not.toBe(first.access_token);
    expect(headers.authorization).toBe(`Bearer ${second.access_token}`);
    const res = await fetch(`${server.url}/api/v1/run/count/`, { headers: { authorization: headers.authorization } });
    expect(res.status).toBe(200);

    // No token in anything the export wrote.
    for (const f of await filesUnder(out)) {
      const text = (await readFile(f)).toString('latin1');
      for (const t of [first.access_token, first.refresh_token, second.access_token, second.refresh_token])
        expect(text.includes(t), f).toBe(false);
    }

    await exec(process.execPath, [DIST_CLI, 'logout', 'dials', '--url', server.url], { env });
    expect(readTokens(file, server.url)).toBeNull();
  }, 240_000);
});
