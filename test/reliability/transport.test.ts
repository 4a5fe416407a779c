/**
 * Transport security: TLS certificates are verified by default (a server whose CA is not trusted is
 * refused with E_TLS, exit 2, even when some other CA is given), `--ca-file` or `source.ca_file`
 * with the site CA makes the same server work; plain `http://` to a host that is not loopback is
 * refused unless `--allow-insecure-http` says so.
 *
 * fixtures/tls: a test-only CA and a server certificate it signed for 127.0.0.1 and localhost
 * (valid until 2126), and an unrelated CA; generated once with openssl, no CA key kept.
 */
import { readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDuckDB } from '../helpers/duckdb.js';
import {
  completeDatasetViolations,
  datasetChecksums,
  errorLine,
  listFiles,
  pipelineYaml,
  runCli,
  removeTempDirs,
  tempDir,
  writePipeline,
} from './helpers.js';
import {
  envelope,
  histogram1d,
  startScriptedServer,
  type ScriptedReply,
  type ScriptedServer,
} from './scripted-server.js';

const TLS = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tls');
const TOKEN = 'tok-transport-0123456789';
const RECORDS = [histogram1d(1), histogram1d(2), histogram1d(3)];
const STREAM = [{ name: 'h1d', endpoint: 'lumisection_histograms_1d', slice: '{by: none}' }];

function answer(_req: unknown, url: URL): ScriptedReply {
  return url.pathname === '/api/lumisection_histograms_1d/'
    ? { status: 200, body: envelope(RECORDS) }
    : { status: 404, body: '{"detail": "Not found."}' };
}

/** A non-loopback IPv4 address of this machine, or 0.0.0.0 (not loopback by name, yet reaches a local listener). */
function nonLoopbackAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '0.0.0.0';
}

afterAll(async () => {
  closeDuckDB();
  await removeTempDirs();
});

describe('TLS is verified by default', () => {
  let server: ScriptedServer;
  beforeAll(async () => {
    server = await startScriptedServer(answer, {
      tls: { key: readFileSync(join(TLS, 'server.key'), 'utf8'), cert: readFileSync(join(TLS, 'server.pem'), 'utf8') },
    });
  });
  afterAll(() => server?.close());

  async function run(extra: string[], source: { caFile?: string } = {}) {
    const dir = await tempDir('dqm-tls-');
    let text = pipelineYaml(STREAM, { url: server.url, retries: 1 });
    if (source.caFile) {
      await copyFile(join(TLS, source.caFile), join(dir, 'site-ca.pem'));
      text = text.replace('  retries: 1', '  retries: 1\n  ca_file: site-ca.pem');
    }
    const pipeline = await writePipeline(dir, text);
    const res = await runCli(['run', pipeline, '--log-level', 'silent', ...extra], {
      env: { DQM_PLAYGROUND_TOKEN: TOKEN },
    });
    return { ...res, dir };
  }

  it('an untrusted certificate is refused: E_TLS, exit 2, pointing at --ca-file, no request answered', async () => {
    const res = await run([]);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    const error = errorLine(res.stderr)!;
    expect(error.code).toBe('E_TLS');
    expect(error.message).toContain(server.url);
    expect(error.message).toContain('--ca-file');
    expect(server.requests).toEqual([]);
    expect((await listFiles(res.dir)).filter((p) => !p.includes('/.dqm-export/'))).toEqual(['p.yaml']);
  });

  it('another CA does not make it trusted', async () => {
    const res = await run(['--ca-file', join(TLS, 'other-ca.pem')]);
    expect(res.code, res.stderr).toBe(2);
    expect(errorLine(res.stderr)?.code).toBe('E_TLS');
  });

  it('--ca-file with the site CA: the export runs and is complete', async () => {
    const res = await run(['--ca-file', join(TLS, 'ca.pem')]);
    expect(res.code, res.stderr).toBe(0);
    expect(await completeDatasetViolations(join(res.dir, 'h1d'))).toEqual([]);
    expect((await datasetChecksums(join(res.dir, 'h1d'), [])).map((p) => p.rows)).toEqual([3]);
  });

  it('source.ca_file (relative to the pipeline file) does the same', async () => {
    const res = await run([], { caFile: 'ca.pem' });
    expect(res.code, res.stderr).toBe(0);
    expect(await completeDatasetViolations(join(res.dir, 'h1d'))).toEqual([]);
  });
});

describe('plain http needs loopback or --allow-insecure-http', () => {
  let server: ScriptedServer;
  let url = '';
  beforeAll(async () => {
    server = await startScriptedServer(answer, { host: '0.0.0.0' });
    url = `http://${nonLoopbackAddress()}:${server.port}`;
  });
  afterAll(() => server?.close());

  it(`refused without the flag: E_CONFIG_INVALID naming the host and the way out, exit 2, nothing sent`, async () => {
    const dir = await tempDir('dqm-http-');
    const pipeline = await writePipeline(dir, pipelineYaml(STREAM, { url, retries: 1 }));
    const res = await runCli(['run', pipeline, '--log-level', 'silent'], { env: { DQM_PLAYGROUND_TOKEN: TOKEN } });
    expect(res.code, res.stderr).toBe(2);
    const error = errorLine(res.stderr)!;
    expect(error.code).toBe('E_CONFIG_INVALID');
    expect(error.message).toContain(new URL(url).hostname);
    expect(error.message).toContain('allow_insecure_http');
    expect(server.requests).toEqual([]);
  });

  it('allowed with --allow-insecure-http: the export runs and is complete', async () => {
    const dir = await tempDir('dqm-http-');
    const pipeline = await writePipeline(dir, pipelineYaml(STREAM, { url, retries: 1 }));
    const res = await runCli(['run', pipeline, '--log-level', 'silent', '--allow-insecure-http'], {
      env: { DQM_PLAYGROUND_TOKEN: TOKEN },
    });
    expect(res.code, res.stderr).toBe(0);
    expect(server.requests.length).toBeGreaterThan(0);
    expect(await completeDatasetViolations(join(dir, 'h1d'))).toEqual([]);
  });
});
