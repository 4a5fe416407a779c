/**
 * The bad-input table of the reliability suite, part 1: pipeline files and command lines that must
 * be refused before anything is fetched or written (exit 2, one `error E_CODE: ...` line naming the
 * file, line and field, nothing created). Part 2 (bad-input-server-cases.ts) covers what only shows
 * at run time: bad output directories and bad server answers.
 */
import type { ScriptedReply } from './scripted-server.js';
import type { IncomingMessage } from 'node:http';

/** What a case's directory holds, for setup and checks. */
export interface CaseContext {
  /** The case's own directory; the pipeline file is `dir/p.yaml`, outputs go under `dir/out/`. */
  dir: string;
  /** Base URL of the case's server. */
  url: string;
}

/** One bad input and what must come of it. */
export interface BadInputCase {
  name: string;
  /** Pipeline file text; default BASE. */
  pipeline?: string;
  /** Arguments after `run <file>`; `{dir}` is replaced by the case directory. */
  args?: string[];
  /** The file given to `run` (default `{dir}/p.yaml`). */
  file?: string;
  /** The server: `sample` (the embedded server on the bundled data), a scripted one, or none (a closed port). */
  server?: 'sample' | ((req: IncomingMessage, url: URL) => ScriptedReply);
  /** Token in DQM_PLAYGROUND_TOKEN (default: the sample server's user token, or a fixed one). */
  token?: string | null;
  /** Prepares the case directory (before the run); may return a cleanup. */
  setup?: (ctx: CaseContext) => Promise<void | (() => Promise<void>)>;
  /** Expected error code (exit 1 and 2), or null for runs that end without an error line (0, 3). */
  code: string | RegExp | null;
  exit: 0 | 1 | 2 | 3;
  /**
   * The error may be a config report: a first line with the count, then one `file:line:col: ...`
   * line per issue (when one mistake makes the parser report several). Default: exactly one line.
   */
  report?: boolean;
  /** Substrings or patterns the error message must contain. */
  mentions?: (string | RegExp)[];
  /**
   * What the output must look like afterwards: `untouched` (exactly what setup left), `uncommitted`
   * (no data file, marker, manifest or temporary anywhere), `complete` (every stream a finished dataset).
   * Default: untouched for exit 2, uncommitted for exit 1, complete for 0 and 3.
   */
  output?: 'untouched' | 'uncommitted' | 'complete';
  /** Extra checks after the run. */
  check?: (ctx: CaseContext, run: { stdout: string; stderr: string }) => Promise<void>;
}

/** A valid pipeline: one 1D stream, one slice, no retries worth waiting for. */
export const BASE = `version: 1
name: bad-inputs
source:
  type: dqm-playground
  url: \${DQM_PLAYGROUND_URL}
  token: \${DQM_PLAYGROUND_TOKEN}
  retries: 1
  timeouts: {connect_ms: 2000, headers_ms: 5000, body_ms: 5000}
streams:
  - name: h1d
    endpoint: lumisection_histograms_1d
    slice: {by: none}
    output: {path: out/h1d, mode: error}
`;

/** BASE with `from` replaced by `to` (which must occur exactly once). */
export function variant(from: string, to: string, text = BASE): string {
  if (text.split(from).length !== 2)
    throw new Error(`variant: ${JSON.stringify(from)} must occur once in the base pipeline`);
  return text.replace(from, to);
}

const STREAM_1D = `  - name: h1d
    endpoint: lumisection_histograms_1d
    slice: {by: none}
    output: {path: out/h1d, mode: error}
`;

/** BASE with the stream replaced by `stream` (YAML lines of one list item). */
function withStream(stream: string): string {
  return variant(STREAM_1D, stream);
}

const FILE_AT = /p\.yaml:\d+:\d+/;

/** Pipeline files and command lines refused up front: exit 2, nothing written. */
export const CONFIG_CASES: BadInputCase[] = [
  // Malformed YAML
  {
    name: 'unclosed flow mapping',
    pipeline: variant('slice: {by: none}', 'slice: {by: none'),
    code: 'E_CONFIG_YAML',
    exit: 2,
    mentions: [FILE_AT],
  },
  {
    name: 'duplicate key',
    pipeline: variant('name: bad-inputs\n', 'name: bad-inputs\nname: again\n'),
    code: 'E_CONFIG_YAML',
    exit: 2,
    mentions: [FILE_AT, 'name'],
  },
  // The YAML parser reports three issues for one tab; each gets its own positioned line.
  {
    name: 'tab indentation',
    pipeline: variant('  retries: 1', '\tretries: 1'),
    code: 'E_CONFIG_YAML',
    exit: 2,
    mentions: [FILE_AT, 'Tabs'],
    report: true,
  },
  { name: 'an empty file', pipeline: '', code: 'E_CONFIG_INVALID', exit: 2, mentions: ['empty'] },
  {
    name: 'a list instead of a mapping',
    pipeline: '- version: 1\n',
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: [FILE_AT],
  },
  // Wrong values and types
  {
    name: 'an unsupported version',
    pipeline: variant('version: 1', 'version: 2'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: [FILE_AT, 'supported versions: 1'],
  },
  {
    name: 'a missing version',
    pipeline: variant('version: 1\n', ''),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['version', 'missing'],
  },
  {
    name: 'a list as the name',
    pipeline: variant('name: bad-inputs', 'name: [a, b]'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: [FILE_AT, 'name'],
  },
  {
    name: 'text as concurrency',
    pipeline: variant('  retries: 1', '  retries: 1\n  concurrency: eight'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['source.concurrency', 'eight'],
  },
  {
    name: 'concurrency 0',
    pipeline: variant('  retries: 1', '  retries: 1\n  concurrency: 0'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['source.concurrency'],
  },
  {
    name: 'negative retries',
    pipeline: variant('retries: 1', 'retries: -1'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['source.retries'],
  },
  {
    name: 'a zero timeout',
    pipeline: variant('connect_ms: 2000', 'connect_ms: 0'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['source.timeouts.connect_ms'],
  },
  {
    name: 'an unknown dtype',
    pipeline: variant('slice: {by: none}', 'slice: {by: none}\n    transform: {dtype: float16}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['dtype', 'float32'],
  },
  // Unknown keys and filters
  {
    name: 'an unknown top-level key',
    pipeline: variant('name: bad-inputs', 'name: bad-inputs\ncolour: blue'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['colour'],
  },
  {
    name: 'a misspelt source key',
    pipeline: variant('  retries: 1', '  retries: 1\n  tokn: abc'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['tokn', 'token'],
  },
  {
    name: 'a misspelt stream key',
    pipeline: variant('slice: {by: none}', 'slice: {by: none}\n    filter: {entries__gte: 1}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['filter', 'filters'],
  },
  {
    name: 'a misspelt filter',
    pipeline: variant('slice: {by: none}', 'slice: {by: none}\n    filters: {lumisection__run__run_numbr: 315705}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['lumisection__run__run_numbr', 'lumisection__run__run_number'],
  },
  {
    name: 'a filter of another endpoint',
    pipeline: withStream(
      '  - name: runs\n    endpoint: runs\n    filters: {title: PXLayer_1}\n    output: {path: out/runs, mode: error}\n',
    ),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['title', 'runs'],
  },
  {
    name: 'text as an integer filter',
    pipeline: variant('slice: {by: none}', 'slice: {by: none}\n    filters: {entries__gte: many}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['entries__gte', 'many'],
  },
  // Bad run ranges
  {
    name: 'a run list with a word in it',
    pipeline: variant(
      'slice: {by: none}',
      'slice: {by: none}\n    filters: {lumisection__run__run_number__in: "315705,abc"}',
    ),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['lumisection__run__run_number__in'],
  },
  {
    name: 'a run-range of size 0',
    pipeline: variant('slice: {by: none}', 'slice: {by: run-range, size: 0}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['slice.size'],
  },
  {
    name: 'an empty run list',
    pipeline: variant('slice: {by: none}', 'slice: {by: run, runs: []}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['slice.runs', 'at least one run'],
  },
  {
    name: 'a negative run',
    pipeline: variant('slice: {by: none}', 'slice: {by: run, runs: [-5]}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['slice.runs[0]'],
  },
  {
    name: 'an unknown slice kind',
    pipeline: variant('slice: {by: none}', 'slice: {by: lumisection}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['slice', 'run-range'],
  },
  // Unknown endpoints, impossible layouts
  {
    name: 'an unknown endpoint',
    pipeline: variant('endpoint: lumisection_histograms_1d', 'endpoint: lumisection_histograms_3d'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['lumisection_histograms_3d', 'lumisection_histograms_2d'],
  },
  {
    name: 'a tensor layout for runs (no bins)',
    pipeline: withStream(
      '  - name: runs\n    endpoint: runs\n    transform: {layout: tensor}\n    output: {path: out/runs, mode: error}\n',
    ),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['layout', 'histogram endpoint'],
  },
  {
    name: 'a misspelt layout',
    pipeline: variant('slice: {by: none}', 'slice: {by: none}\n    transform: {layout: tensr}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['tensr', 'tensor'],
  },
  // Output paths
  {
    name: 'an output path escaping with ../',
    pipeline: variant('path: out/h1d', 'path: ../escape'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['output.path', '..'],
  },
  {
    name: 'an output path escaping after normalisation',
    pipeline: variant('path: out/h1d', 'path: out/../../escape'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['output.path'],
  },
  {
    // Absolute output paths are accepted; the filesystem root is not a dataset directory.
    name: 'the filesystem root as output path',
    pipeline: variant('path: out/h1d', 'path: /'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['output.path'],
  },
  {
    name: 'the output root itself',
    pipeline: variant('path: out/h1d', 'path: .'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['output.path'],
  },
  {
    name: 'two streams writing into one directory',
    pipeline: BASE + STREAM_1D.replace('name: h1d', 'name: again').replace('path: out/h1d', 'path: out/h1d/inner'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['overlaps'],
  },
  {
    name: 'two streams with one name',
    pipeline: BASE + STREAM_1D.replace('path: out/h1d', 'path: out/other'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['duplicate stream name'],
  },
  {
    name: 'partitioning by an unknown column',
    pipeline: variant('mode: error}', 'mode: error, partition_by: [rn]}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['rn', 'run'],
  },
  {
    name: 'partitioning by the bins',
    pipeline: variant('mode: error}', 'mode: error, partition_by: [data]}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['cannot partition by data'],
  },
  {
    name: 'compressed Arrow IPC',
    pipeline: variant('mode: error}', 'mode: error, format: arrow, compression: zstd}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['compression'],
  },
  {
    name: 'row groups larger than files',
    pipeline: variant('mode: error}', 'mode: error, row_group_mb: 64, max_file_mb: 16}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['row_group_mb'],
  },
  {
    name: 'an incremental stream that does not append',
    pipeline: variant('slice: {by: none}', 'slice: {by: run}\n    incremental: {cursor: run}'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['append'],
  },
];
