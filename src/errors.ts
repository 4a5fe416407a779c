/**
 * One error hierarchy for the whole tool. Every error carries a stable `code` (users and tests match
 * on it), a `kind` that the CLI maps to an exit code, and optional context. Messages are one line,
 * name the file / field / URL at fault, and never contain secrets (see `redact` in secrets.ts).
 */
import type { CodeOf, ErrorCode, ErrorKind, HttpStatusCode } from './error-codes.js';
import { redact } from './secrets.js';

export type { ErrorCode, ErrorKind } from './error-codes.js';

export interface ErrorContext {
  /** Token-free URL of the request that failed. */
  url?: string;
  /** HTTP status, when the error came from a response. */
  status?: number;
  /** File the error is about. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** 1-based column in `file`. */
  column?: number;
  /** Dotted path of the config field or record field at fault. */
  field?: string;
  /** Anything else worth showing with --verbose. */
  [key: string]: unknown;
}

/**
 * The base of every error. Prefer the class of the code's kind below; construct this directly only to
 * re-raise an error's code under another kind.
 */
export class DqmExportError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly context: ErrorContext;

  constructor(
    code: ErrorCode,
    kind: ErrorKind,
    message: string,
    context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(redact(message), options);
    this.name = new.target.name;
    this.code = code;
    this.kind = kind;
    this.context = context;
  }
}

/** Invalid pipeline file or option value (exit code 2). */
export class ConfigError extends DqmExportError {
  constructor(code: CodeOf<'config'>, message: string, context?: ErrorContext, options?: { cause?: unknown }) {
    super(code, 'config', message, context, options);
  }
}

/** Bad command-line usage (exit code 2). */
export class UsageError extends DqmExportError {
  constructor(code: CodeOf<'usage'>, message: string, context?: ErrorContext, options?: { cause?: unknown }) {
    super(code, 'usage', message, context, options);
  }
}

/** Bad input data: a malformed CSV row, a record that breaks the shape rules, an unwritable output. */
export class InputError extends DqmExportError {
  constructor(code: CodeOf<'input'>, message: string, context?: ErrorContext, options?: { cause?: unknown }) {
    super(code, 'input', message, context, options);
  }
}

/** Missing or rejected credentials (401/403). */
export class AuthError extends DqmExportError {
  constructor(code: CodeOf<'auth'>, message: string, context?: ErrorContext, options?: { cause?: unknown }) {
    super(code, 'auth', message, context, options);
  }
}

/** Something a retry may fix: 429, 5xx, resets, timeouts, truncated bodies. */
export class TransientError extends DqmExportError {
  constructor(code: CodeOf<'transient'>, message: string, context?: ErrorContext, options?: { cause?: unknown }) {
    super(code, 'transient', message, context, options);
  }
}

/** The server answered, and the answer is final: a 4xx with a message, an unexpected shape. */
export class ServerError extends DqmExportError {
  constructor(
    code: CodeOf<'server'> | HttpStatusCode,
    message: string,
    context?: ErrorContext,
    options?: { cause?: unknown },
  ) {
    super(code, 'server', message, context, options);
  }
}

/** A bug in dqm-export, or an invariant that did not hold (e.g. completeness could not be reconciled). */
export class InternalError extends DqmExportError {
  constructor(code: CodeOf<'internal'>, message: string, context?: ErrorContext, options?: { cause?: unknown }) {
    super(code, 'internal', message, context, options);
  }
}

// The CLI's bundles are minified, identifiers included (scripts/bundle.mjs): these classes keep their
// names there, for `err.name`, the first line of a stack trace and pino's `type` of a logged error.
for (const [cls, name] of [
  [DqmExportError, 'DqmExportError'],
  [ConfigError, 'ConfigError'],
  [UsageError, 'UsageError'],
  [InputError, 'InputError'],
  [AuthError, 'AuthError'],
  [TransientError, 'TransientError'],
  [ServerError, 'ServerError'],
  [InternalError, 'InternalError'],
] as const)
  Object.defineProperty(cls, 'name', { value: name });

/** Process exit codes, shared by every command. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  invalidConfig: 2,
  rejects: 3,
} as const;

/** Maps an error to the CLI exit code: config and usage errors are 2, everything else 1. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof DqmExportError && (err.kind === 'config' || err.kind === 'usage')) return ExitCode.invalidConfig;
  return ExitCode.failed;
}

/** System errors that are the user's to fix (a full or read-only disk, permissions), as `E_FS_<errno>`. */
const FS_ERRNOS = ['ENOSPC', 'EDQUOT', 'EFBIG', 'EACCES', 'EROFS', 'EPERM', 'ENOENT', 'EISDIR', 'ENOTDIR'] as const;

function isFsErrno(code: string): code is (typeof FS_ERRNOS)[number] {
  return (FS_ERRNOS as readonly string[]).includes(code);
}

/** Wraps anything thrown into a DqmExportError, keeping ours as they are. */
export function toDqmError(err: unknown): DqmExportError {
  if (err instanceof DqmExportError) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  if (e && typeof e === 'object' && typeof e.code === 'string' && isFsErrno(e.code)) {
    return new InputError(`E_FS_${e.code}`, e.message, { file: (e as { path?: string }).path }, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError('E_INTERNAL', message, {}, { cause: err });
}

/** The CLI's one-line rendering: `error E_CODE: message`. */
export function formatErrorLine(err: DqmExportError): string {
  return `error ${err.code}: ${err.message}`;
}
