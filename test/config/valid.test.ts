/** Valid pipeline files: the examples in pipelines/, the snippet verbatim, JSON, defaults. */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPipeline, parsePipelineText, type Pipeline } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { PACKAGE_ROOT } from '../../src/version.js';

const PIPELINES = join(PACKAGE_ROOT, 'pipelines');

/** The snippet of issue #5, verbatim: it must stay valid as written. */
const PIXEL_2D = `version: 1
name: pixel-2d
source:
  type: dqm-playground
  url: \${DQM_PLAYGROUND_URL:-http://127.0.0.1:8000}
  token: \${DQM_PLAYGROUND_TOKEN}
  concurrency: 16
streams:
  - name: h2d
    endpoint: lumisection_histograms_2d
    filters:
      lumisection__run__run_number__gte: 315000
      title: [clusterposition_zphi_ontrack_PXLayer_1, clusterposition_zphi_ontrack_PXLayer_2]
    slice: {by: run}
    transform: {layout: tensor, dtype: float32}
    output: {format: parquet, path: out/pixel-2d/h2d, partition_by: [run], compression: zstd}
`;

const ENV = { DQM_PLAYGROUND_TOKEN: 'test-token-0001' };

describe('the example pipelines', () => {
  const files = readdirSync(PIPELINES).filter((f) => f.endsWith('.yaml'));

  it('include the five documented examples', () => {
    expect(files.sort()).toEqual(
      expect.arrayContaining([
        'adhoc-single-run-arrow.yaml',
        'demo.yaml',
        'ml-training-2d-tensor.yaml',
        'pixel-2d.yaml',
        'scheduled-incremental.yaml',
      ]),
    );
  });

  it.each(files)('%s is valid, with a token and without one', async (file) => {
    const withToken = await loadPipeline(join(PIPELINES, file), { env: ENV });
    expect(withToken.pipeline.streams.length).toBeGreaterThan(0);
    const without = await loadPipeline(join(PIPELINES, file), { env: {} });
    expect(without.pipeline.source.type === 'dqm-playground' && without.pipeline.source.token).toBeFalsy();
    expect(without.configHash).toBe(withToken.configHash);
  });

  it('pixel-2d.yaml is the issue snippet verbatim', () => {
    expect(readFileSync(join(PIPELINES, 'pixel-2d.yaml'), 'utf8')).toBe(PIXEL_2D);
  });

  it('demo.yaml: 1D nested, 2D float32 tensors and arrays, partitioned by run', async () => {
    const { pipeline } = await loadPipeline(join(PIPELINES, 'demo.yaml'), { env: ENV });
    expect(pipeline.streams.map((s) => [s.name, s.endpoint])).toEqual([
      ['runs', 'runs'],
      ['lumisections', 'lumisections'],
      ['h1d', 'lumisection_histograms_1d'],
      ['h2d', 'lumisection_histograms_2d'],
      ['h2d_array', 'lumisection_histograms_2d'],
    ]);
    const h2d = pipeline.streams[3];
    expect(h2d.transform).toMatchObject({ layout: 'tensor', dtype: 'float32' });
    expect(pipeline.streams[4].transform).toMatchObject({ layout: 'array', dtype: 'float32' });
    expect(h2d.output).toMatchObject({ format: 'parquet', partition_by: ['run'], compression: 'zstd' });
    expect(pipeline.source).toMatchObject({ url: 'http://127.0.0.1:8000', token: 'test-token-0001' });
  });

  it('ml-training: defaults merged key by key into each stream', async () => {
    const { pipeline } = await loadPipeline(join(PIPELINES, 'ml-training-2d-tensor.yaml'), { env: ENV });
    for (const [i, label] of [1, 0].entries()) {
      const s = pipeline.streams[i];
      expect(s.transform).toEqual({
        layout: 'tensor',
        dtype: 'float32',
        on_shape_change: 'error',
        strict: false,
        select: ['run', 'lumisection', 'title', 'entries', 'data'],
        constants: { label },
      });
      expect(s.output).toMatchObject({ partition_by: ['run'], row_group_mb: 64, compression: 'zstd' });
      expect(s.filters.title).toHaveLength(1);
    }
  });

  it('adhoc: one Arrow file, no slicing, interpolated run number', async () => {
    const { pipeline } = await loadPipeline(join(PIPELINES, 'adhoc-single-run-arrow.yaml'), { env: { RUN: '316457' } });
    const s = pipeline.streams[0];
    expect(s.slice).toEqual({ by: 'none' });
    expect(s.output).toMatchObject({ format: 'arrow', compression: 'none', mode: 'overwrite' });
    expect(s.filters).toEqual({ lumisection__run__run_number: 316457 });
    expect(s.max_records).toBe(100000);
  });

  it('scheduled: incremental run cursor in append mode against the prod preset', async () => {
    const { pipeline } = await loadPipeline(join(PIPELINES, 'scheduled-incremental.yaml'), { env: ENV });
    expect(pipeline.source).toMatchObject({ url: 'prod', concurrency: 4, retries: 8 });
    for (const s of pipeline.streams) {
      expect(s.incremental).toEqual({ cursor: 'run' });
      expect(s.output.mode).toBe('append');
      expect(s.slice.by).toBe('run');
    }
    expect(pipeline.streams[0].output.partition_by).toEqual(['run_number']);
    expect(pipeline.streams[2].output.partition_by).toEqual(['run']);
  });
});

describe('parsing', () => {
  it('applies every default', () => {
    const p = parsePipelineText(
      'version: 1\nname: d\nsource: {type: dqm-playground, url: prod}\nstreams:\n  - {name: h, endpoint: lumisection_histograms_1d, output: {path: h}}\n  - {name: r, endpoint: runs, output: {path: r, format: arrows}}\n',
      'd.yaml',
      { env: {} },
    );
    const expected: Pipeline = {
      version: 1,
      name: 'd',
      source: {
        type: 'dqm-playground',
        url: 'prod',
        token: undefined,
        token_file: undefined,
        concurrency: 8,
        retries: 6,
        timeouts: { connect_ms: 10000, headers_ms: 60000, body_ms: 120000 },
        allow_insecure_http: false,
      },
      streams: [
        {
          name: 'h',
          endpoint: 'lumisection_histograms_1d',
          filters: {},
          slice: { by: 'run' },
          transform: { layout: 'nested', dtype: 'float64', on_shape_change: 'error', strict: false },
          output: {
            format: 'parquet',
            path: 'h',
            partition_by: [],
            compression: 'zstd',
            row_group_mb: 128,
            max_file_mb: 1024,
            mode: 'error',
          },
        },
        {
          name: 'r',
          endpoint: 'runs',
          filters: {},
          slice: { by: 'none' },
          transform: { layout: 'nested', dtype: 'float64', on_shape_change: 'error', strict: false },
          output: {
            format: 'arrows',
            path: 'r',
            partition_by: [],
            compression: 'none',
            row_group_mb: 128,
            max_file_mb: 1024,
            mode: 'error',
          },
        },
      ],
    };
    expect(JSON.parse(JSON.stringify(p))).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it('normalises filter values by kind', () => {
    const p = parsePipelineText(
      `version: 1
name: f
source: {type: dqm-playground, url: http://localhost:8000}
streams:
  - name: h
    endpoint: lumisection_histograms_2d
    filters:
      lumisection__run__run_number__in: "315705, 315713"
      lumisection__ls_number__in: 7
      title: clusterposition_zphi_ontrack_PXLayer_1
      entries__gte: "10"
    output: {path: h}
  - name: f
    endpoint: histogram_data_files
    filters: {data_dimensionality: 2, processing_complete: "true", filepath__contains: 2018}
    output: {path: f}
`,
      'f.yaml',
      { env: {} },
    );
    expect(p.streams[0].filters).toEqual({
      lumisection__run__run_number__in: [315705, 315713],
      lumisection__ls_number__in: [7],
      title: ['clusterposition_zphi_ontrack_PXLayer_1'],
      entries__gte: 10,
    });
    expect(p.streams[1].filters).toEqual({
      data_dimensionality: '2',
      processing_complete: true,
      filepath__contains: '2018',
    });
  });

  it('slices: run-range gets its size default, explicit runs are kept', () => {
    const p = parsePipelineText(
      'version: 1\nname: s\nsource: {type: dqm-playground, url: prod}\nstreams:\n  - {name: h, endpoint: lumisection_histograms_1d, slice: {by: run-range, runs: [315705, "315713"]}, output: {path: h}}\n',
      's.yaml',
      { env: {} },
    );
    expect(p.streams[0].slice).toEqual({ by: 'run-range', size: 10, runs: [315705, 315713] });
  });

  it('output paths are normalised', () => {
    const p = parsePipelineText(
      'version: 1\nname: s\nsource: {type: dqm-playground, url: prod}\nstreams:\n  - {name: r, endpoint: runs, output: {path: ./a//b/}}\n',
      's.yaml',
      {
        env: {},
      },
    );
    expect(p.streams[0].output.path).toBe('a/b');
  });

  it('absolute output paths are accepted as written (normalised), relative ones stay relative', () => {
    const text = (path: string) =>
      `version: 1\nname: s\nsource: {type: dqm-playground, url: prod}\nstreams:\n  - {name: r, endpoint: runs, output: {path: "${path}"}}\n`;
    expect(parsePipelineText(text('/data/dqm//out/runs/'), 's.yaml', { env: {} }).streams[0].output.path).toBe(
      '/data/dqm/out/runs',
    );
    expect(parsePipelineText(text('/data/x/../runs'), 's.yaml', { env: {} }).streams[0].output.path).toBe('/data/runs');
    expect(parsePipelineText(text('C:\\\\data\\\\runs'), 's.yaml', { env: {} }).streams[0].output.path).toBe(
      'C:/data/runs',
    );
  });

  it('a ml4dqm-csv source with one glob becomes a list, and prepare steps get their defaults', () => {
    const csv = parsePipelineText(
      'version: 1\nname: c\nsource: {type: ml4dqm-csv, files: "csv/*.csv", dimensionality: 2}\nstreams:\n  - {name: h, endpoint: lumisection_histograms_2d, output: {path: h}}\n',
      'c.yaml',
      { env: {} },
    );
    expect(csv.source).toEqual({ type: 'ml4dqm-csv', files: ['csv/*.csv'], dimensionality: 2, bad_rows: 'fail' });
    const prep = parsePipelineText(
      'version: 1\nname: p\nsource: {type: dqm-playground, url: prod}\nprepare:\n  - discover:\n  - start_parsing: {filepath__contains: 2D_synthetic, data_dimensionality: 2}\nstreams:\n  - {name: r, endpoint: runs, output: {path: r}}\n',
      'p.yaml',
      { env: {} },
    );
    expect(prep.prepare).toEqual([
      { discover: { wait: false } },
      {
        start_parsing: {
          filepath__contains: '2D_synthetic',
          granularity: 'lum',
          data_dimensionality: 2,
          file_format: 'csv',
          wait: true,
          timeout_s: 600,
          stall_s: 120,
        },
      },
    ]);
  });

  it('YAML anchors and merge keys work, and errors inside them still get a position', () => {
    const text = `version: 1
name: y
source: {type: dqm-playground, url: prod}
x-common: &out {format: parquet, mode: apend}
streams:
  - {name: r, endpoint: runs, output: {<<: *out, path: r}}
`;
    // x-common is not a key of the schema: reported, and the bad mode inside the anchor too.
    const message = (() => {
      try {
        parsePipelineText(text, 'y.yaml', { env: {} });
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(message).toContain('y.yaml:4:1: x-common: unknown key "x-common"');
    expect(message).toContain('y.yaml:4:40: streams[0].output.mode: got "apend" (did you mean "append"?)');
  });
});

describe('JSON pipeline files', () => {
  it('are read by the same parser, with positions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dqm-config-'));
    const good = join(dir, 'p.json');
    await writeFile(
      good,
      JSON.stringify(
        {
          version: 1,
          name: 'j',
          source: { type: 'dqm-playground', url: 'https://dqm.example.org', concurrency: '4' },
          streams: [
            {
              name: 'h',
              endpoint: 'lumisection_histograms_2d',
              transform: { layout: 'flat' },
              output: { path: 'h', partition_by: ['title'] },
            },
          ],
        },
        null,
        '\t',
      ),
    );
    const loaded = await loadPipeline(good, { env: {} });
    expect(loaded.file).toBe(good);
    expect(loaded.dir).toBe(dir);
    expect(loaded.pipeline.source).toMatchObject({ concurrency: 4 });

    const bad = join(dir, 'bad.json');
    await writeFile(
      bad,
      '{\n  "version": 1,\n  "name": "j",\n  "source": {"type": "dqm-playground", "url": "prod"},\n  "streams": [{"name": "h", "endpoint": "runs", "output": {"path": "h", "format": "csv"}}]\n}\n',
    );
    await expect(loadPipeline(bad, { env: {} })).rejects.toThrow(
      `${bad}:5:83: streams[0].output.format: got "csv"; valid formats: parquet, arrow, arrows`,
    );

    const dup = join(dir, 'dup.json');
    await writeFile(dup, '{"version": 1, "version": 1}');
    await expect(loadPipeline(dup, { env: {} })).rejects.toMatchObject({
      code: 'E_CONFIG_YAML',
      message: expect.stringContaining(':1:16: duplicate key "version"'),
    });
  });

  it('a missing or unreadable file is a ConfigError naming it', async () => {
    await expect(loadPipeline('no/such/pipeline.yaml')).rejects.toMatchObject({
      code: 'E_CONFIG_FILE',
      message: 'cannot read pipeline file no/such/pipeline.yaml: no such file',
    });
    const err = await loadPipeline(PIPELINES).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('it is a directory');
  });
});
