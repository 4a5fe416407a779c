/**
 * Bad pipeline files, part 2: streams and what they hold (filters, slice, transform, output,
 * incremental, defaults) and interpolation.
 */
import { type Case, HEAD, RUNS, stream } from './invalid-fixtures.js';

/** Cases for `streams` and interpolation. */
export const streamCases: Case[] = [
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
