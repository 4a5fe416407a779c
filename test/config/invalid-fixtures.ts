/**
 * Shared pieces of the bad-pipeline-file table (test/config/invalid.test.ts): valid heads that the
 * cases extend, so each case's line numbers are predictable.
 */

/** A valid head: streams start on line 7. */
export const HEAD = `version: 1
name: t
source:
  type: dqm-playground
  url: http://127.0.0.1:8000
streams:
`;

/** A valid runs stream (lines 7-9 when appended to HEAD). */
export const RUNS = `  - name: runs
    endpoint: runs
    output: {path: runs}
`;

/** A ml4dqm-csv head: streams start on line 7. */
export const CSV_HEAD = `version: 1
name: t
source:
  type: ml4dqm-csv
  files: data/*.csv
streams:
`;

export interface Case {
  name: string;
  text: string;
  code?: string;
  env?: Record<string, string>;
  /** Fragments the message must contain. */
  has: string[];
  /** Fragments it must not contain. */
  hasNot?: string[];
}

export const stream = (body: string) => HEAD + body;
