/** `dqm-export validate` and `dqm-export schema`, run in-process through main(). */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipelineJsonSchema } from '../../src/config/index.js';
import { runCli } from '../cli/harness.js';

const NO_TOKEN = { DQM_PLAYGROUND_TOKEN: undefined, DQM_PLAYGROUND_URL: undefined };
let dir: string;
let bad: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dqm-validate-'));
  bad = join(dir, 'bad.yaml');
  await writeFile(
    bad,
    'version: 1\nname: bad\nsource: {type: dqm-playground, url: prod}\nstreams:\n  - name: h\n    endpoint: lumisection_histograms_2d\n    filters: {run: 315705}\n    output: {path: h, format: parket}\n',
  );
});

describe('dqm-export validate', () => {
  it('prints a summary and exits 0 for a valid file', async () => {
    const r = await runCli(['validate', 'pipelines/demo.yaml'], { env: NO_TOKEN });
    expect(r).toEqual({
      code: 0,
      stdout: 'pipelines/demo.yaml: valid (5 streams: runs, lumisections, h1d, h2d, h2d_array)\n',
      stderr: '',
    });
  });

  it('prints every problem with file:line:col and exits 2', async () => {
    const r = await runCli(['validate', bad], { env: NO_TOKEN });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      `error E_CONFIG_INVALID: ${bad}: invalid pipeline (2 errors):`,
      expect.stringMatching(
        new RegExp(
          `^${bad}:7:15: streams\\[0\\]\\.filters\\.run: unknown filter "run" for lumisection_histograms_2d \\(did you mean "lumisection__run__run_number"`,
        ),
      ),
      `${bad}:8:31: streams[0].output.format: got "parket" (did you mean "parquet"?); valid formats: parquet, arrow, arrows`,
      '',
    ]);
  });

  it('validates several files, reporting the valid ones and every invalid one', async () => {
    const r = await runCli(['validate', 'pipelines/pixel-2d.yaml', bad, 'no-such.yaml'], { env: NO_TOKEN });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('pipelines/pixel-2d.yaml: valid (1 stream: h2d)\n');
    expect(r.stderr).toContain('error E_CONFIG_INVALID: 2 of 3 pipeline files are invalid:');
    expect(r.stderr).toContain(`${bad}:8:31: streams[0].output.format`);
    expect(r.stderr).toContain('cannot read pipeline file no-such.yaml: no such file');
  });

  it('a missing file alone is E_CONFIG_FILE, exit 2', async () => {
    const r = await runCli(['validate', 'no-such.yaml'], { env: NO_TOKEN });
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error E_CONFIG_FILE: cannot read pipeline file no-such.yaml: no such file\n',
    });
  });

  it('a missing variable is E_CONFIG_ENV, exit 2', async () => {
    const file = join(dir, 'env.yaml');
    await writeFile(
      file,
      'version: 1\nname: e\nsource: {type: dqm-playground, url: "${DQM_TEST_URL_UNSET}"}\nstreams:\n  - {name: r, endpoint: runs, output: {path: r}}\n',
    );
    const r = await runCli(['validate', file], { env: { DQM_TEST_URL_UNSET: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error E_CONFIG_ENV: ${file}:3:38: source.url: environment variable DQM_TEST_URL_UNSET is not set (set it, or write \${DQM_TEST_URL_UNSET:-default})\n`,
    );
  });

  it('--print shows the resolved pipeline and hash, never the token', async () => {
    const r = await runCli(['validate', '--print', 'pipelines/pixel-2d.yaml'], {
      env: { DQM_PLAYGROUND_TOKEN: 'cli-secret-token-99', DQM_PLAYGROUND_URL: undefined },
    });
    expect(r.code).toBe(0);
    const [summary, ...json] = r.stdout.split('\n');
    expect(summary).toBe('pipelines/pixel-2d.yaml: valid (1 stream: h2d)');
    const printed = JSON.parse(json.join('\n'));
    expect(printed.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(printed.pipeline.source).toMatchObject({ token: '***', concurrency: 16, retries: 6 });
    expect(printed.pipeline.streams[0].output).toMatchObject({ row_group_mb: 128, mode: 'error' });
    expect(r.stdout + r.stderr).not.toContain('cli-secret-token-99');
  });

  it('without a file is a usage error', async () => {
    const r = await runCli(['validate'], { env: NO_TOKEN });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error E_USAGE: /);
  });
});

describe('dqm-export schema', () => {
  it('prints the JSON Schema on stdout', async () => {
    const r = await runCli(['schema']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(pipelineJsonSchema());
  });
});

describe('dqm-export validate: what can be checked without a server', () => {
  const write = async (name: string, text: string): Promise<string> => {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  };

  it('a CSV glob that matches nothing is an error (run would fail on it)', async () => {
    const file = await write(
      'csv-nomatch.yaml',
      'version: 1\nname: c\nsource: {type: ml4dqm-csv, files: ["nothing-here/*.csv"]}\nstreams:\n  - {name: h, endpoint: lumisection_histograms_1d, output: {path: h}}\n',
    );
    const r = await runCli(['validate', file], { env: NO_TOKEN });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error E_SOURCE_FILES: ${file}: source.files: nothing-here/*.csv matches no file`);
  });

  it('an unreadable token_file and a ca_file without a certificate are errors', async () => {
    await writeFile(join(dir, 'not-a-cert.pem'), 'hello\n');
    const file = await write(
      'files.yaml',
      'version: 1\nname: f\nsource: {type: dqm-playground, url: prod, token_file: missing-token.txt, ca_file: not-a-cert.pem}\nstreams:\n  - {name: r, endpoint: runs, output: {path: r}}\n',
    );
    const r = await runCli(['validate', file], { env: NO_TOKEN });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: source.token_file: cannot read ${join(dir, 'missing-token.txt')}: ENOENT`);
    expect(r.stderr).toContain(`${file}: source.ca_file: ${join(dir, 'not-a-cert.pem')} holds no PEM certificate`);
  });

  it('an output path under a file (not a directory) is an error; --out is taken into account', async () => {
    await writeFile(join(dir, 'a-file'), 'x');
    const file = await write(
      'out.yaml',
      'version: 1\nname: o\nsource: {type: dqm-playground, url: prod}\nstreams:\n  - {name: r, endpoint: runs, output: {path: a-file/r}}\n',
    );
    const r = await runCli(['validate', file], { env: NO_TOKEN });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `error E_OUTPUT_NOT_WRITABLE: ${file}: streams[0].output.path: cannot write ${join(dir, 'a-file', 'r')}: its nearest existing parent ${join(dir, 'a-file')} is not a directory`,
    );
    const elsewhere = await mkdtemp(join(tmpdir(), 'dqm-validate-out-'));
    expect((await runCli(['validate', file, '--out', elsewhere], { env: NO_TOKEN })).code).toBe(0);
  });
});
