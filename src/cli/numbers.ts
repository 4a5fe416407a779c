/**
 * Numeric flags. yargs turns `--port abc` into NaN before any check sees it, so an error could only
 * say `got NaN`; declared through `numeric()`, the flag keeps the typed text until this check, and the
 * error quotes it (`--port expects a number, got "abc"`). Range checks stay with each command.
 */
import { UsageError } from '../errors.js';

const MESSAGE = /^--[a-z-]+ expects a number, got /;

/**
 * yargs rethrows a coerce error as a bare YError with the message only: this restores the
 * UsageError (E_USAGE_NUMBER) for one of ours, and null for anything else.
 */
export function numberFlagError(err: Error): UsageError | null {
  return MESSAGE.test(err.message) ? new UsageError('E_USAGE_NUMBER', err.message) : null;
}

/** Parses one numeric flag value; a UsageError E_USAGE_NUMBER quotes the text that was typed. */
export function parseNumberFlag(flag: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  const text = String(value).trim();
  const n = text === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(n))
    throw new UsageError('E_USAGE_NUMBER', `--${flag} expects a number, got ${JSON.stringify(String(value))}`, {
      field: flag,
    });
  return n;
}

/**
 * yargs settings for a numeric flag, spread into its `.option()`: no `type` (that would parse the
 * text to NaN first), a `coerce` that checks the typed text instead.
 */
export function numeric(flag: string): { coerce: (value: unknown) => number } {
  return { coerce: (value: unknown) => parseNumberFlag(flag, Array.isArray(value) ? value.at(-1) : value) };
}

/** As `numeric`, for a repeatable flag (`array: true`): every value is checked. */
export function numericList(flag: string): { coerce: (value: unknown) => number[] } {
  return { coerce: (value: unknown) => (Array.isArray(value) ? value : [value]).map((v) => parseNumberFlag(flag, v)) };
}
