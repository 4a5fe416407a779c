/**
 * Secrets: the API token must not appear in anything a run writes: stdout, stderr, log files at
 * trace level, `--verbose` stack traces and error context, the journal, manifests, `_SUCCESS`,
 * Parquet files (footer metadata included) and the rejects file. Whole runs with faults and
 * retries are grepped byte for byte, and so are failing runs against servers that echo the
 * Authorization header back in 401/403/400/500 bodies, and a config error that puts the token's
 * variable where a number belongs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/index.js';
import { closeDuckDB, parquetKeyValueMetadata } from '../helpers/duckdb.js';
import {
  HISTOGRAM_STREAMS,
  errorLine,
  filesContaining,
  listFiles,
  pipelineYaml,
  runCli,
  removeTempDirs,
  tempDir,
  writeCsvData,
  writePipeline,
} from './helpers.js';
import { envelope, histogram1d, startScriptedServer, type ScriptedReply } from './scripted-server.js';

/** A token that nothing else contains, so any occurrence is a leak. */
const TOKEN = 'dqm-secret-7f3a9c1e5b2d4f60a8e1';
const VERBOSE = ['--log-level', 'trace', '--verbose'];

afterAll(async () => {
  closeDuckDB();
  await removeTempDirs();
});

/** Everything the run wrote (files under `dir`, stdout, stderr) that contains the token. */
async function leaks(dir: string, run: { stdout: string; stderr: string }): Promise<string[]> {
  const found = (await filesContaining(dir, TOKEN)).map((p) => `file ${p}`);
  if (run.stdout.includes(TOKEN)) found.push('stdout');
  if (run.stderr.includes(TOKEN)) found.push('stderr');
  return found;
}

describe('the token never leaves the process', () => {
  it('a whole run with faults, at trace level with --verbose, logs to stderr then to a file', async () => {
    const dir = await tempDir('dqm-secret-');
    await writeCsvData(dir, { runs: 2, ls: 6, titles: 2, x1: 10, x2: 6, y2: 4 });
    const server = await startServer({
      port: 0,
      dataDirs: [dir],
      userToken: TOKEN,
      pageSize: 4,
      failRate: 0.2,
      resetRate: 0.05,
      truncateRate: 0.05,
      shuffle: true,
      seed: 11,
    });
    try {
      const pipeline = await writePipeline(dir, pipelineYaml(HISTOGRAM_STREAMS));
      const env = { DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: TOKEN };
      const toStderr = await runCli(['run', pipeline, ...VERBOSE], { env });
      expect(toStderr.code, toStderr.stderr).toBe(0);
      // The logs are really there: request retries at debug, and the stream lifecycle.
      expect(toStderr.stderr).toContain('"retrying request"');
      expect(toStderr.stderr).toContain('"stream finished"');
      expect(await leaks(dir, toStderr)).toEqual([]);

      const logFile = join(dir, 'logs', 'run.log');
      const toFile = await runCli(['run', pipeline, ...VERBOSE, '--log-file', logFile], { env });
      expect(toFile.code, toFile.stderr).toBe(0);
      expect(existsSync(logFile)).toBe(true);
      expect(await leaks(dir, toFile)).toEqual([]);

      // What was grepped: logs, journals, manifests, markers and data files of both streams.
      const files = await listFiles(dir);
      for (const expected of [
        'logs/run.log',
        'h1d/.dqm-export/journal.jsonl',
        'h1d/.dqm-export/manifest.json',
        'h1d/.dqm-export/_SUCCESS',
        'h2d/.dqm-export/manifest.json',
      ])
        expect(files).toContain(expected);
      const parquet = files.filter((p) => p.endsWith('.parquet'));
      expect(parquet.length).toBeGreaterThan(0);
      for (const p of parquet) {
        const metadata = await parquetKeyValueMetadata(join(dir, p));
        expect(metadata['dqm_export.source_url']).toContain(server.url);
        expect(JSON.stringify(metadata)).not.toContain(TOKEN);
      }
    } finally {
      await server.close();
    }
  });

  it('rejected records: the rejects file and summary hold no token', async () => {
    const dir = await tempDir('dqm-secret-');
    const records = [histogram1d(1), histogram1d(2, { data: [1.0, 'x', 3.0, 4.0] }), histogram1d(3)];
    const server = await startScriptedServer((_req, url) =>
      url.pathname === '/api/lumisection_histograms_1d/'
        ? { status: 200, body: envelope(records) }
        : { status: 404, body: '{}' },
    );
    try {
      const pipeline = await writePipeline(
        dir,
        pipelineYaml([{ name: 'h1d', endpoint: 'lumisection_histograms_1d', slice: '{by: none}' }], {
          url: server.url,
          retries: 1,
        }),
      );
      const run = await runCli(['run', pipeline, ...VERBOSE, '--log-file', join(dir, 'run.log')], {
        env: { DQM_PLAYGROUND_TOKEN: TOKEN },
      });
      expect(run.code, run.stderr).toBe(3);
      expect(existsSync(join(dir, 'h1d', '.dqm-export', 'rejects.jsonl'))).toBe(true);
      expect(server.requests.every((r) => r.authorization === `Token ${TOKEN}`)).toBe(true);
      expect(await leaks(dir, run)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  // Servers that echo the Authorization header they received (as debug pages and careless APIs do).
  const echoes: { name: string; code: string; reply: (authorization: string) => ScriptedReply }[] = [
    {
      name: '401 detail',
      code: 'E_AUTH_UNAUTHORIZED',
      reply: (a) => ({ status: 401, body: JSON.stringify({ detail: `Invalid token: ${a}` }) }),
    },
    {
      name: '403 detail',
      code: 'E_AUTH_FORBIDDEN',
      reply: (a) => ({ status: 403, body: JSON.stringify({ detail: `${a} may not read this` }) }),
    },
    {
      name: '400 field error',
      code: 'E_HTTP_400',
      reply: (a) => ({ status: 400, body: JSON.stringify({ authorization: [`${a} is malformed`] }) }),
    },
    {
      name: '500 debug page listing the headers',
      code: 'E_HTTP_500',
      reply: (a) => ({
        status: 500,
        headers: { 'Content-Type': 'text/plain' },
        body: `Internal Server Error\nHTTP_AUTHORIZATION = '${a}'\nTraceback ...`,
      }),
    },
  ];

  for (const echo of echoes) {
    it(`a server that echoes the Authorization header in a ${echo.name}: ${echo.code}, no token anywhere`, async () => {
      const dir = await tempDir('dqm-secret-');
      const server = await startScriptedServer((req) => echo.reply(String(req.headers.authorization)));
      try {
        const pipeline = await writePipeline(dir, pipelineYaml(HISTOGRAM_STREAMS, { url: server.url, retries: 1 }));
        const run = await runCli(['run', pipeline, ...VERBOSE, '--log-file', join(dir, 'run.log')], {
          env: { DQM_PLAYGROUND_TOKEN: TOKEN },
        });
        expect(run.code, run.stderr).toBe(1);
        expect(errorLine(run.stderr)?.code, run.stderr).toBe(echo.code);
        // --verbose printed the context and a stack trace, and the server did send the token back.
        expect(run.stderr.split('\n').length).toBeGreaterThan(3);
        expect(server.requests.length).toBeGreaterThan(0);
        expect(await leaks(dir, run)).toEqual([]);
      } finally {
        await server.close();
      }
    });
  }

  it('the token variable where a number belongs: the config error shows no value', async () => {
    const dir = await tempDir('dqm-secret-');
    const pipeline = await writePipeline(
      dir,
      pipelineYaml(HISTOGRAM_STREAMS, { url: 'http://127.0.0.1:9' }).replace(
        'concurrency: 8',
        'concurrency: ${DQM_PLAYGROUND_TOKEN}',
      ),
    );
    const run = await runCli(['run', pipeline, ...VERBOSE], { env: { DQM_PLAYGROUND_TOKEN: TOKEN } });
    expect(run.code).toBe(2);
    expect(errorLine(run.stderr)?.code).toBe('E_CONFIG_INVALID');
    expect(run.stderr).toContain('source.concurrency');
    expect(await leaks(dir, run)).toEqual([]);
  });
});
