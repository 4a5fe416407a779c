/**
 * Bad pipeline files, table-driven: each row is the file text and fragments the error message must
 * contain (position `t.yaml:line:col`, field path, what was expected, did-you-mean).
 */
import { describe, expect, it } from 'vitest';
import { parsePipelineText } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

/** A valid head: streams start on line 7. */
const HEAD = `version: 1
name: t
source:
  type: dqm-playground
  url: http://127.0.0.1:8000
streams:
`;

/** A valid runs stream (lines 7-9 when appended to HEAD). */
const RUNS = `  - name: runs
    endpoint: runs
    output: {path: runs}
`;

/** A ml4dqm-csv head: streams start on line 7. */
const CSV_HEAD = `version: 1
name: t
source:
  type: ml4dqm-csv
  files: data/*.csv
streams:
`;

interface Case {
  name: string;
  text: string;
  code?: string;
  env?: Record<string, string>;
  /** Fragments the message must contain. */
  has: string[];
  /** Fragments it must not contain. */
  hasNot?: string[];
}

const stream = (body: string) => HEAD + body;

const cases: Case[] = [
  // --- the file itself ---
  {
    name: 'YAML syntax error',
    text: 'version: 1\nstreams: [a, b\nname: x\n',
    code: 'E_CONFIG_YAML',
    has: ['t.yaml:3:1:'],
  },
  {
    name: 'duplicate key',
    text: 'version: 1\nname: a\nname: b\n',
    code: 'E_CONFIG_YAML',
    has: ['t.yaml:3:1: duplicate key "name"'],
  },
  {
    name: 'two documents',
    text: 'version: 1\n---\nname: b\n',
    code: 'E_CONFIG_YAML',
    has: ['t.yaml:2:1: a pipeline file holds one YAML document'],
  },
  { name: 'empty file', text: '# nothing here\n', code: 'E_CONFIG_INVALID', has: ['t.yaml:1:1: the file is empty'] },
  { name: 'top level is a list', text: '- version: 1\n', has: ['t.yaml:1:1: expected a mapping, got a list'] },
  // --- top level ---
  {
    name: 'unsupported version',
    text: HEAD.replace('version: 1', 'version: 2') + RUNS,
    has: ['t.yaml:1:10: version: unsupported version 2; supported versions: 1'],
  },
  {
    name: 'missing version',
    text: HEAD.replace('version: 1\n', '') + RUNS,
    has: ['t.yaml:1:1: version: missing required field'],
  },
  {
    name: 'bad pipeline name',
    text: HEAD.replace('name: t', 'name: my pipeline') + RUNS,
    has: ['t.yaml:2:7: name: pipeline name must start with a letter', 'got "my pipeline"'],
  },
  {
    name: 'unknown top-level key with did-you-mean',
    text: HEAD + RUNS + 'defualts: {}\n',
    has: [
      't.yaml:10:1: defualts: unknown key "defualts" (did you mean "defaults"?); valid keys: version, name, description, source, prepare, defaults, streams',
    ],
  },
  { name: 'no streams', text: HEAD + '  []\n', has: ['t.yaml:7:3: streams: expected at least one stream'] },
  {
    name: 'description not text',
    text: HEAD + RUNS + 'description: [a]\n',
    has: ['t.yaml:10:14: description: expected text, got a list'],
  },
  // --- source ---
  {
    name: 'source type typo',
    text: HEAD.replace('type: dqm-playground', 'type: dqm-playgroud') + RUNS,
    has: [
      't.yaml:4:9: source.type: got "dqm-playgroud" (did you mean "dqm-playground"?); valid source types: dqm-playground, dials, ml4dqm-csv',
    ],
  },
  {
    name: 'source type missing',
    text: HEAD.replace('  type: dqm-playground\n', '') + RUNS,
    has: ['source.type: missing type; valid types: dqm-playground, dials, ml4dqm-csv'],
  },
  {
    name: 'url scheme',
    text: HEAD.replace('http://127.0.0.1:8000', 'ftp://example.org') + RUNS,
    has: ['t.yaml:5:8: source.url: expected an http:// or https:// URL, got scheme ftp'],
  },
  {
    name: 'url preset typo',
    text: HEAD.replace('http://127.0.0.1:8000', 'prdo') + RUNS,
    has: ['t.yaml:5:8: source.url: unknown preset "prdo" (did you mean "prod"?); valid presets: prod, develop'],
  },
  {
    name: 'plain http to a remote host',
    text: HEAD.replace('http://127.0.0.1:8000', 'http://dqm.example.org') + RUNS,
    has: [
      't.yaml:5:8: source.url: plain http:// to dqm.example.org would send the token unencrypted',
      'allow_insecure_http: true',
    ],
  },
  {
    name: 'credentials in the url',
    text: HEAD.replace('http://127.0.0.1:8000', 'https://me:pw@dqm.example.org') + RUNS,
    has: ['source.url: the URL must not contain credentials'],
    hasNot: ['me:pw'],
  },
  {
    name: 'concurrency too big',
    text: HEAD.replace('  url:', '  concurrency: 100\n  url:') + RUNS,
    has: ['t.yaml:5:16: source.concurrency: must be an integer from 1 to 64, got 100'],
  },
  {
    name: 'concurrency not a number',
    text: HEAD.replace('  url:', '  concurrency: many\n  url:') + RUNS,
    has: ['source.concurrency: must be an integer from 1 to 64, got "many"'],
  },
  {
    name: 'retries negative',
    text: HEAD.replace('  url:', '  retries: -1\n  url:') + RUNS,
    has: ['source.retries: must be an integer from 0 to 20, got -1'],
  },
  {
    name: 'unknown timeout',
    text: HEAD.replace('  url:', '  timeouts: {read_ms: 5}\n  url:') + RUNS,
    has: ['t.yaml:5:14: source.timeouts.read_ms: unknown key "read_ms"; valid keys: connect_ms, headers_ms, body_ms'],
  },
  {
    name: 'token and token_file',
    text: HEAD.replace('  url:', '  token: abcdef123456\n  token_file: tok.txt\n  url:') + RUNS,
    has: ['t.yaml:6:15: source.token_file: give either token or token_file, not both'],
    hasNot: ['abcdef123456'],
  },
  {
    name: 'token of the wrong type is never echoed',
    text: HEAD.replace('  url:', '  token: 987654321\n  url:') + RUNS,
    has: ['source.token: expected a string (the token itself is never shown), got number'],
    hasNot: ['987654321'],
  },
  {
    name: 'playground key on a csv source',
    text: CSV_HEAD.replace('  files:', '  url: http://x\n  files:') + RUNS,
    has: ['t.yaml:5:3: source.url: unknown key "url"; valid keys: type, files, dimensionality'],
  },
  {
    name: 'csv files empty list',
    text: CSV_HEAD.replace('files: data/*.csv', 'files: []') + RUNS,
    has: ['t.yaml:5:10: source.files: expected at least one path or glob'],
  },
  {
    name: 'csv dimensionality 3',
    text: CSV_HEAD.replace('  files:', '  dimensionality: 3\n  files:') + RUNS,
    has: ['t.yaml:5:19: source.dimensionality: expected 1 or 2, got 3'],
  },
  {
    name: 'csv source and data files endpoint',
    text: CSV_HEAD + '  - {name: f, endpoint: histogram_data_files, output: {path: f}}\n',
    has: ['t.yaml:7:25: streams[0].endpoint: histogram_data_files needs a dqm-playground source'],
  },
  {
    name: 'csv dimensionality against the endpoint',
    text:
      CSV_HEAD.replace('  files:', '  dimensionality: 1\n  files:') +
      '  - {name: h, endpoint: lumisection_histograms_2d, output: {path: h}}\n',
    has: ['streams[0].endpoint: lumisection_histograms_2d does not match source.dimensionality 1'],
  },
  // --- prepare ---
  {
    name: 'prepare with a csv source',
    text: CSV_HEAD + RUNS + 'prepare:\n  - discover: {}\n',
    has: ['t.yaml:11:3: prepare: prepare steps need a dqm-playground source'],
  },
  {
    name: 'prepare step typo',
    text: HEAD + RUNS + 'prepare:\n  - start_parsng: {}\n',
    has: ['t.yaml:11:5: prepare[0].start_parsng: unknown key "start_parsng" (did you mean "start_parsing"?)'],
    hasNot: ['exactly one'],
  },
  {
    name: 'prepare step with two actions',
    text:
      HEAD + RUNS + 'prepare:\n  - {discover: {}, start_parsing: {filepath__contains: x, data_dimensionality: 1}}\n',
    has: [
      't.yaml:11:5: prepare[0]: a prepare step has exactly one of discover, start_parsing, got discover and start_parsing',
    ],
  },
  {
    name: 'start_parsing fields',
    text: HEAD + RUNS + 'prepare:\n  - start_parsing: {filepath__contains: 2D, granularity: lumi}\n',
    has: [
      't.yaml:11:20: prepare[0].start_parsing.data_dimensionality: missing required field',
      't.yaml:11:58: prepare[0].start_parsing.granularity: got "lumi" (did you mean "lum"?); valid granularity values: lum, run',
    ],
  },
  // --- streams ---
  {
    name: 'stream without output',
    text: stream('  - name: a\n    endpoint: runs\n'),
    has: ['t.yaml:7:5: streams[0].output: missing required field'],
  },
  {
    name: 'stream without endpoint',
    text: stream('  - name: a\n    output: {path: a}\n'),
    has: ['t.yaml:7:5: streams[0].endpoint: missing endpoint; valid endpoints: runs, lumisections'],
  },
  {
    name: 'endpoint typo',
    text: stream('  - name: a\n    endpoint: lumisection_histograms_2D\n    output: {path: a}\n'),
    has: [
      't.yaml:8:15: streams[0].endpoint: got "lumisection_histograms_2D" (did you mean "lumisection_histograms_2d"?); valid endpoints: runs',
    ],
  },
  {
    name: 'stream name',
    text: stream('  - name: 1abc\n    endpoint: runs\n    output: {path: a}\n'),
    has: ['t.yaml:7:11: streams[0].name: stream name must start with a letter', 'got "1abc"'],
  },
  {
    name: 'duplicate stream names',
    text: stream(RUNS + RUNS.replace('path: runs', 'path: runs2')),
    has: ['t.yaml:10:11: streams[1].name: duplicate stream name runs (also streams[0])'],
  },
  {
    name: 'unknown stream key',
    text: stream('  - name: a\n    endpoint: runs\n    tranform: {}\n    output: {path: a}\n'),
    has: ['t.yaml:9:5: streams[0].tranform: unknown key "tranform" (did you mean "transform"?)'],
  },
  // --- filters ---
  {
    name: 'bare run filter on a histogram endpoint',
    text: stream(
      '  - name: h\n    endpoint: lumisection_histograms_1d\n    filters: {run: 315705}\n    output: {path: h}\n',
    ),
    has: [
      't.yaml:9:15: streams[0].filters.run: unknown filter "run" for lumisection_histograms_1d (did you mean "lumisection__run__run_number"',
      'valid filters: lumisection__run__run_number, ',
    ],
  },
  {
    name: 'filter typo',
    text: stream(
      '  - name: h\n    endpoint: lumisection_histograms_2d\n    filters: {titel: x}\n    output: {path: h}\n',
    ),
    has: ['streams[0].filters.titel: unknown filter "titel" for lumisection_histograms_2d (did you mean "title"?)'],
  },
  {
    name: 'int filter',
    text: stream('  - name: r\n    endpoint: runs\n    filters: {run_number: abc}\n    output: {path: r}\n'),
    has: ['t.yaml:9:27: streams[0].filters.run_number: must be an integer >= 0, got "abc"'],
  },
  {
    name: 'int-list filter with a bad element',
    text: stream(
      '  - name: h\n    endpoint: lumisection_histograms_1d\n    filters: {lumisection__run__run_number__in: "315705,x"}\n    output: {path: h}\n',
    ),
    has: ['streams[0].filters.lumisection__run__run_number__in[1]: must be an integer >= 0, got "x"'],
  },
  {
    name: 'choice filter',
    text: stream(
      '  - name: f\n    endpoint: histogram_data_files\n    filters: {data_dimensionality: 3}\n    output: {path: f}\n',
    ),
    has: ['streams[0].filters.data_dimensionality: got "3"; valid data_dimensionality values: 1, 2'],
  },
  {
    name: 'bool filter',
    text: stream(
      '  - name: f\n    endpoint: histogram_data_files\n    filters: {processing_complete: yes}\n    output: {path: f}\n',
    ),
    has: ['streams[0].filters.processing_complete: expected true or false, got "yes"'],
  },
  // --- slice ---
  {
    name: 'slice kind typo',
    text: stream(
      '  - name: h\n    endpoint: lumisection_histograms_1d\n    slice: {by: runs}\n    output: {path: h}\n',
    ),
    has: [
      't.yaml:9:17: streams[0].slice.by: got "runs" (did you mean "run"?); valid slice kinds: none, run, run-range, title',
    ],
  },
  {
    name: 'slice by title on runs',
    text: stream('  - name: r\n    endpoint: runs\n    slice: {by: title}\n    output: {path: r}\n'),
    has: ['t.yaml:9:17: streams[0].slice.by: slice by title is not possible for runs; valid slice kinds: none, run'],
  },
  {
    name: 'slice size without run-range',
    text: stream(
      '  - name: h\n    endpoint: lumisection_histograms_1d\n    slice: {by: run, size: 5}\n    output: {path: h}\n',
    ),
    has: ['t.yaml:9:22: streams[0].slice.size: unknown key "size"; valid keys: by, runs'],
  },
  // --- transform ---
  {
    name: 'tensor layout without bins',
    text: stream('  - name: r\n    endpoint: runs\n    transform: {layout: tensor}\n    output: {path: r}\n'),
    has: [
      't.yaml:9:25: streams[0].transform.layout: layout tensor needs a histogram endpoint',
      'runs records have no bins',
    ],
  },
  {
    name: 'layout typo',
    text: stream(
      '  - name: h\n    endpoint: lumisection_histograms_2d\n    transform: {layout: tensr}\n    output: {path: h}\n',
    ),
    has: [
      'streams[0].transform.layout: got "tensr" (did you mean "tensor"?); valid layouts: nested, flat, tensor, array',
    ],
  },
  {
    name: 'dtype',
    text: stream(
      '  - name: h\n    endpoint: lumisection_histograms_2d\n    transform: {dtype: float16}\n    output: {path: h}\n',
    ),
    has: ['streams[0].transform.dtype: got "float16"', 'valid dtypes: float64, float32'],
  },
  {
    name: 'select of an unknown column',
    text: stream(
      '  - name: h\n    endpoint: lumisection_histograms_2d\n    transform: {select: [run, lumisecton]}\n    output: {path: h}\n',
    ),
    has: [
      't.yaml:9:31: streams[0].transform.select[1]: lumisecton is not a column of lumisection_histograms_2d (did you mean "lumisection"?)',
    ],
  },
  {
    name: 'rename of an unknown column',
    text: stream('  - name: r\n    endpoint: runs\n    transform: {rename: {runnumber: run}}\n    output: {path: r}\n'),
    has: ['streams[0].transform.rename.runnumber: runnumber is not a column of runs (did you mean "run_number"?)'],
  },
  {
    name: 'constant collides with a column',
    text: stream('  - name: r\n    endpoint: runs\n    transform: {constants: {date: x}}\n    output: {path: r}\n'),
    has: ['streams[0].transform: two output columns would be named date'],
  },
  // --- output ---
  {
    name: 'partition by data',
    text: stream('  - name: h\n    endpoint: lumisection_histograms_1d\n    output: {path: h, partition_by: [data]}\n'),
    has: [
      't.yaml:9:38: streams[0].output.partition_by[0]: cannot partition by data',
      'valid partition columns: id, run, lumisection',
    ],
  },
  {
    name: 'partition column typo',
    text: stream('  - name: h\n    endpoint: lumisection_histograms_1d\n    output: {path: h, partition_by: [runn]}\n'),
    has: ['streams[0].output.partition_by[0]: cannot partition by runn (did you mean "run"?)'],
  },
  {
    name: 'output path at the filesystem root',
    text: stream('  - name: r\n    endpoint: runs\n    output: {path: /}\n'),
    has: ['t.yaml:9:20: streams[0].output.path: must name a directory, not the filesystem root'],
  },
  {
    name: 'output path escaping',
    text: stream('  - name: r\n    endpoint: runs\n    output: {path: a/../../b}\n'),
    has: ['streams[0].output.path: must stay inside the output root'],
  },
  {
    name: 'overlapping output paths',
    text: stream(RUNS + '  - {name: r2, endpoint: runs, output: {path: runs/more}}\n'),
    has: ['t.yaml:10:47: streams[1].output.path: output runs/more overlaps streams[0] output runs'],
  },
  {
    name: 'format typo',
    text: stream('  - name: r\n    endpoint: runs\n    output: {path: r, format: parket}\n'),
    has: ['streams[0].output.format: got "parket" (did you mean "parquet"?); valid formats: parquet, arrow, arrows'],
  },
  {
    name: 'snappy for arrow',
    text: stream('  - name: r\n    endpoint: runs\n    output: {path: r, format: arrow, compression: snappy}\n'),
    has: [
      'streams[0].output.compression: arrow (Arrow IPC) output is written uncompressed; valid compressions: none, got snappy',
    ],
  },
  {
    name: 'zstd for an arrow stream',
    text: stream('  - name: r\n    endpoint: runs\n    output: {path: r, format: arrows, compression: zstd}\n'),
    has: ['t.yaml:9:52: streams[0].output.compression: arrows (Arrow IPC) output is written uncompressed'],
  },
  {
    name: 'mode',
    text: stream('  - name: r\n    endpoint: runs\n    output: {path: r, mode: replace}\n'),
    has: ['streams[0].output.mode: got "replace"; valid modes: overwrite, error, append'],
  },
  {
    name: 'row groups larger than files',
    text: stream('  - name: r\n    endpoint: runs\n    output: {path: r, row_group_mb: 512, max_file_mb: 256}\n'),
    has: ['streams[0].output.row_group_mb: must not exceed max_file_mb (256), got 512'],
  },
  // --- incremental, max_records ---
  {
    name: 'incremental without a run',
    text: stream(
      '  - name: f\n    endpoint: histogram_data_files\n    incremental: {cursor: run}\n    output: {path: f, mode: append}\n',
    ),
    has: [
      't.yaml:9:18: streams[0].incremental: incremental needs records with a run; histogram_data_files records have none',
    ],
  },
  {
    name: 'incremental without append',
    text: stream(
      '  - name: r\n    endpoint: runs\n    slice: {by: run}\n    incremental: {cursor: run}\n    output: {path: r}\n',
    ),
    has: ['streams[0].incremental: incremental streams add to their dataset: set output.mode: append (got error)'],
  },
  {
    name: 'incremental without run slices',
    text: stream(
      '  - name: r\n    endpoint: runs\n    incremental: {cursor: run}\n    output: {path: r, mode: append}\n',
    ),
    has: ['streams[0].slice: incremental streams export whole runs: slice by run (got none)'],
  },
  {
    name: 'incremental cursor',
    text: stream(
      '  - name: r\n    endpoint: runs\n    slice: {by: run}\n    incremental: {cursor: date}\n    output: {path: r, mode: append}\n',
    ),
    has: ['streams[0].incremental.cursor: got "date"; valid cursors: run'],
  },
  {
    name: 'max_records zero',
    text: stream('  - name: r\n    endpoint: runs\n    max_records: 0\n    output: {path: r}\n'),
    has: ['t.yaml:9:18: streams[0].max_records: must be an integer >= 1, got 0'],
  },
  // --- defaults ---
  {
    name: 'path in defaults',
    text: HEAD + RUNS + 'defaults:\n  output: {path: x}\n',
    has: ['t.yaml:11:12: defaults.output.path: unknown key "path"'],
  },
  {
    name: 'a default that does not fit a stream points at defaults',
    text: HEAD + RUNS + 'defaults:\n  transform: {layout: flat}\n',
    has: [
      't.yaml:11:23: streams[0].transform.layout: layout flat needs a histogram endpoint',
      '(value from defaults.transform.layout)',
    ],
  },
  // --- interpolation ---
  {
    name: 'missing variable',
    text: HEAD.replace('http://127.0.0.1:8000', '${DQM_URL}') + RUNS,
    code: 'E_CONFIG_ENV',
    has: ['t.yaml:5:8: source.url: environment variable DQM_URL is not set'],
  },
  {
    name: 'missing variable inside a value',
    text: stream('  - name: r\n    endpoint: runs\n    output: {path: "out/${RUN_DIR}/r"}\n'),
    code: 'E_CONFIG_ENV',
    has: ['t.yaml:9:25: streams[0].output.path: environment variable RUN_DIR is not set'],
  },
  {
    name: 'bad reference',
    text: HEAD.replace('name: t', 'name: ${1X}') + RUNS,
    code: 'E_CONFIG_ENV',
    has: ['t.yaml:2:7: name: invalid variable reference ${1X}'],
  },
  {
    name: 'unterminated reference',
    text: HEAD.replace('name: t', 'name: "a${X"') + RUNS,
    code: 'E_CONFIG_ENV',
    has: ['name: unterminated ${'],
  },
  {
    name: 'interpolated value still validated',
    text: HEAD.replace('  url:', '  concurrency: ${CONC:-0}\n  url:') + RUNS,
    has: ['t.yaml:5:16: source.concurrency: must be an integer from 1 to 64, got 0'],
  },
];

function errorOf(c: Case): ConfigError {
  try {
    parsePipelineText(c.text, 't.yaml', { env: c.env ?? {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected ${c.name} to be rejected`);
}

describe('invalid pipeline files', () => {
  it('has a table of at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const err = errorOf(c);
    expect(err.code).toBe(c.code ?? 'E_CONFIG_INVALID');
    expect(err.kind).toBe('config');
    for (const fragment of c.has) expect(err.message).toContain(fragment);
    for (const fragment of c.hasNot ?? []) expect(err.message).not.toContain(fragment);
    // Every line names the file and a position (a multi-issue message has a header line first).
    const lines = err.message.split('\n');
    for (const line of lines.length > 1 ? lines.slice(1) : lines) expect(line).toMatch(/^t\.yaml:\d+:\d+: /);
    expect(err.context.file).toBe('t.yaml');
    expect(err.context.line).toBeGreaterThan(0);
  });
});

describe('error reporting', () => {
  it('collects every issue of a file, sorted by position, one per line', () => {
    const text = `version: 3
name: t
source:
  type: dqm-playground
  url: http://127.0.0.1:8000
  concurency: 4
streams:
  - name: h
    endpoint: lumisection_histograms_2d
    transform: {layout: tensr}
    output: {path: h, format: parket}
`;
    const err = errorOf({ name: 'many', text, has: [] });
    expect(err.message.split('\n')).toEqual([
      't.yaml: invalid pipeline (4 errors):',
      't.yaml:1:10: version: unsupported version 3; supported versions: 1',
      't.yaml:6:3: source.concurency: unknown key "concurency" (did you mean "concurrency"?); valid keys: type, url, token, token_file, concurrency, retries, timeouts, ca_file, allow_insecure_http',
      't.yaml:10:25: streams[0].transform.layout: got "tensr" (did you mean "tensor"?); valid layouts: nested, flat, tensor, array',
      't.yaml:11:31: streams[0].output.format: got "parket" (did you mean "parquet"?); valid formats: parquet, arrow, arrows',
    ]);
    expect(err.context).toMatchObject({ file: 't.yaml', line: 1, column: 10, field: 'version' });
    expect((err.context.issues as unknown[]).length).toBe(4);
  });

  it('lists every missing variable at once', () => {
    const text = HEAD.replace('http://127.0.0.1:8000', '${A}').replace('name: t', 'name: ${B}') + RUNS;
    const err = errorOf({ name: 'env', text, has: [] });
    expect(err.code).toBe('E_CONFIG_ENV');
    expect(err.message).toContain('t.yaml:2:7: name: environment variable B is not set');
    expect(err.message).toContain('t.yaml:5:8: source.url: environment variable A is not set');
  });

  it('never prints the token, even when it came from the environment', () => {
    const text =
      HEAD.replace('  url:', '  token: ${DQM_PLAYGROUND_TOKEN}\n  url:').replace(
        'http://127.0.0.1:8000',
        'http://remote.example.org',
      ) + RUNS;
    const err = errorOf({
      name: 'secret',
      text,
      env: { DQM_PLAYGROUND_TOKEN: 'tok-SECRET-4711' },
      has: ['source.url: plain http://'],
    });
    expect(err.message).not.toContain('tok-SECRET-4711');
    expect(JSON.stringify(err.context)).not.toContain('tok-SECRET-4711');
  });
});
