/**
 * Checks a `files parse` request against what the server would do with it, before POSTing. The
 * real server answers some bad requests with a bare string or a 500, and accepts others (a 1D file
 * parsed as 2D) only for its background thread to die, leaving the file at 0 % with no error
 * anywhere. A pure function of the request and the file record, so every rule is a table test.
 */
import type { HistogramDataFile } from '../../domain.js';
import type { CodeOf } from '../../error-codes.js';
import { describeContents, describeProgress } from '../output/views.js';

/** What `files parse` asks the server for. */
export interface ParseRequest {
  /** `lum` (per lumisection) or `run` (per run; not implemented by the server). */
  granularity: 'lum' | 'run';
  /** Histogram dimensionality: 1 or 2. */
  dim: 1 | 2;
  /** File format the server reads the file as. */
  fileFormat: 'csv' | 'root';
}

/**
 * Outcome of a check. `ok`: send the request. `done`: the file already holds exactly what was asked
 * (nothing to do, success). `refuse`: do not send; `usage` says whether the request itself was
 * wrong (exit 2) rather than the file's state (exit 1), and `forcible` whether --force may override.
 */
export type ParseVerdict =
  | { action: 'ok' }
  | { action: 'done'; message: string }
  | { action: 'refuse'; code: CodeOf<'usage'>; message: string; usage: true; forcible: boolean }
  | { action: 'refuse'; code: CodeOf<'input'>; message: string; usage: false; forcible: boolean };

/** The first check that applies to any file: granularity `run` makes the real server answer 500. */
export function checkGranularity(req: ParseRequest): ParseVerdict {
  if (req.granularity === 'run') {
    return {
      action: 'refuse',
      code: 'E_PARSE_GRANULARITY',
      message:
        'granularity run is not implemented by the DQM Playground server (it answers 500 "Something possibly missing from ' +
        'HISTOGRAM_DIMENSIONS_CHOICES"); use --granularity lum',
      usage: true,
      forcible: true,
    };
  }
  return { action: 'ok' };
}

/** Dimensionality the ML4DQM file name states (`..._DataFrame_1D_2.csv`), or undefined. */
export function dimensionalityFromName(filepath: string): 1 | 2 | undefined {
  const name = filepath.slice(filepath.lastIndexOf('/') + 1);
  // The ML4DQM convention names the dimensionality right after "DataFrame"; other markers
  // (`..._copy_parsed_as_2D.csv`) only count when the name has exactly one kind.
  const conventional = /DataFrame_([12])D(?=[_.]|$)/i.exec(name);
  if (conventional) return Number(conventional[1]) as 1 | 2;
  const marks = new Set([...name.matchAll(/(?:^|_)([12])D(?=[_.]|$)/gi)].map((m) => Number(m[1]) as 1 | 2));
  return marks.size === 1 ? [...marks][0] : undefined;
}

/** File format the extension states, or undefined. */
export function formatFromName(filepath: string): 'csv' | 'root' | undefined {
  const m = /\.(csv|root)$/i.exec(filepath);
  return m ? (m[1].toLowerCase() as 'csv' | 'root') : undefined;
}

/**
 * Checks `req` against the current record of the file (fetched cache-busted). The file-independent
 * granularity check is `checkGranularity`, made before the file is even fetched.
 */
export function checkParseRequest(file: HistogramDataFile, req: ParseRequest): ParseVerdict {
  const label = `data file ${file.id} (${file.filepath})`;
  const contents = file.contents ?? [];
  const pct = Number(file.percentage_processed);
  if (contents.length > 0 || pct >= 100) {
    const same = contents.some((c) => c.granularity === req.granularity && Number(c.data_dimensionality) === req.dim);
    if (same)
      return {
        action: 'done',
        message: `${label} is already parsed as ${req.granularity} ${req.dim}D (${describeProgress(file)}); nothing to do`,
      };
    return {
      action: 'refuse',
      code: 'E_PARSE_ALREADY_PARSED',
      message: `${label} is already parsed (${describeProgress(file)}, contents: ${describeContents(contents) || 'none'}); the server refuses to parse a file twice`,
      usage: false,
      forcible: false,
    };
  }
  if (pct > 0) {
    return {
      action: 'refuse',
      code: 'E_PARSE_IN_PROGRESS',
      message: `${label} is being parsed (${describeProgress(file)}); follow it with: dqm-export files wait ${file.id}`,
      usage: false,
      forcible: true,
    };
  }
  const named = dimensionalityFromName(file.filepath);
  if (named !== undefined && named !== req.dim) {
    return {
      action: 'refuse',
      code: 'E_PARSE_DIMENSIONALITY',
      message:
        `${label} is named as ${named}D but --dim ${req.dim} was given; the server would accept the request and its parser ` +
        `thread would fail silently, leaving the file at 0 %. Use --dim ${named}, or --force if the name is wrong`,
      usage: true,
      forcible: true,
    };
  }
  const format = formatFromName(file.filepath);
  if (format !== undefined && format !== req.fileFormat) {
    return {
      action: 'refuse',
      code: 'E_PARSE_FILE_FORMAT',
      message: `${label} has a .${format} extension but --file-format ${req.fileFormat} was given; use --file-format ${format}, or --force if the name is wrong`,
      usage: true,
      forcible: true,
    };
  }
  return { action: 'ok' };
}
