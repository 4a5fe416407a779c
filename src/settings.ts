/**
 * The numeric settings a user can change in more than one place (pipeline file, command-line flag,
 * client option): each default and bound is written here once. The pipeline schema, the HTTP client,
 * the CLI options and their help text read them, so they cannot disagree.
 */

/** An integer setting. */
export interface IntSetting {
  /** Value when none is given. */
  readonly default: number;
  /** Smallest accepted value. */
  readonly min: number;
  /** Largest accepted value. */
  readonly max: number;
}

const HOUR_MS = 3_600_000;

/** Connection settings of a server source (pipeline `source.*`, `--concurrency`, `--retries`). */
export const SETTINGS = {
  /** Requests in flight at once: connections, pages of one slice and slices together. */
  concurrency: { default: 8, min: 1, max: 64 },
  /** Retries of a request after a transient failure (429, 5xx, reset, timeout, cut-short body). */
  retries: { default: 6, min: 0, max: 20 },
  /** TCP + TLS connect, in milliseconds. */
  connectTimeoutMs: { default: 10_000, min: 1, max: HOUR_MS },
  /** Request sent to response headers, in milliseconds (a 50-histogram 2D page can take a while). */
  headersTimeoutMs: { default: 60_000, min: 1, max: HOUR_MS },
  /** Idle time between body chunks, in milliseconds. */
  bodyTimeoutMs: { default: 120_000, min: 1, max: HOUR_MS },
} as const satisfies Record<string, IntSetting>;

/** `from 1 to 64`: the accepted range in words, for messages and help text. */
export function rangeText(s: IntSetting): string {
  return `from ${s.min} to ${s.max}`;
}

/** True when `value` is an integer within the setting's bounds. */
export function inRange(s: IntSetting, value: number): boolean {
  return Number.isInteger(value) && value >= s.min && value <= s.max;
}

/**
 * Environment variable that picks the zstd of Parquet pages: `wasm` forces parquet-wasm's own codec
 * (the tests cover both paths with it; a way out should a native codec misbehave); unset, or any
 * other value, compresses pages with native zstd when it loads (docs/decisions.md, "Load: Parquet
 * pages compressed by native zstd").
 */
export const PARQUET_ZSTD_ENV = 'DQM_EXPORT_PARQUET_ZSTD';

/** The zstd codec `PARQUET_ZSTD_ENV` asks for: `wasm`, or `native` (the default). */
export function parquetZstdCodec(env: NodeJS.ProcessEnv = process.env): 'native' | 'wasm' {
  return env[PARQUET_ZSTD_ENV] === 'wasm' ? 'wasm' : 'native';
}

/**
 * Environment variable that picks the Parquet writer: `wasm` forces parquet-wasm for every file (the
 * tests cover both writers with it; a way out should the own writer misbehave); unset, or any other
 * value, writes with our own writer every file whose columns it supports, parquet-wasm the others
 * (docs/decisions.md, "Load: our own Parquet writer").
 */
export const PARQUET_WRITER_ENV = 'DQM_EXPORT_PARQUET_WRITER';

/** The Parquet writer `PARQUET_WRITER_ENV` asks for: `wasm`, or `own` (the default). */
export function parquetWriterChoice(env: NodeJS.ProcessEnv = process.env): 'own' | 'wasm' {
  return env[PARQUET_WRITER_ENV] === 'wasm' ? 'wasm' : 'own';
}
