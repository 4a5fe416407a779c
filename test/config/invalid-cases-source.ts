/**
 * Bad pipeline files, part 1: the file itself, the top level, the source and prepare sections.
 */
import { type Case, CSV_HEAD, HEAD, RUNS } from './invalid-fixtures.js';

/** Cases for the file, its top level, `source` and `prepare`. */
export const fileAndSourceCases: Case[] = [
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
];
