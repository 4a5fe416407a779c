/**
 * The catalogue of error codes: every `E_...` code dqm-export raises, its kind (which decides the exit
 * code: `config` and `usage` exit 2, the others 1) and what it means, in one line. The error classes
 * of errors.ts accept only codes of their own kind from here, so the compiler rejects an unlisted
 * code; docs/errors.md is generated from this table (`npm run docs:errors`).
 *
 * To add a code: add one line below, in alphabetical order, then run `npm run docs:errors`.
 */

/** Broad class of failure; decides the exit code and whether a retry can help. */
export type ErrorKind = 'config' | 'usage' | 'input' | 'auth' | 'transient' | 'server' | 'internal';

/** code: [kind, one-line meaning for a user who sees the code]. */
export const ERROR_CODES = {
  E_ABORTED: ['internal', 'An extraction was stopped by the code consuming it, before it finished.'],
  E_AUTH_FORBIDDEN: ['auth', 'The server refused the request (403): the token lacks the permission for it.'],
  E_AUTH_UNAUTHORIZED: ['auth', 'The server rejected the credentials (401): no token, or an invalid or expired one.'],
  E_BAD_BODY: ['transient', 'A response body was not valid JSON (retried; usually a proxy or an overloaded server).'],
  E_BAD_FILTER: ['config', 'A filter value has the wrong type (e.g. a run number that is not an integer).'],
  E_BAD_OPTION: ['config', 'A client option (concurrency, retries, timeouts) is out of its range.'],
  E_BAD_RESPONSE: [
    'server',
    'The server answered with JSON of an unexpected shape (not a list envelope, missing fields).',
  ],
  E_BAD_SLICING: ['config', 'A stream asks for a slicing its endpoint or filters cannot support.'],
  E_BAD_URL: ['config', 'The DQM Playground URL is not http(s)://host[:port][/prefix] or a known preset.'],
  E_CA_FILE: ['config', 'The CA file given with --ca-file or source.ca_file cannot be read.'],
  E_CONFIG_ENV: [
    'config',
    'The pipeline file references an environment variable that is not set, or a malformed ${...}.',
  ],
  E_CONFIG_FILE: ['config', 'The pipeline file cannot be read.'],
  E_CONFIG_INVALID: ['config', 'The pipeline file does not match the schema (each problem is listed with its line).'],
  E_CONFIG_YAML: ['config', 'The pipeline file is not valid YAML (syntax error, duplicate key, several documents).'],
  E_CRASH_SPEC: ['internal', 'DQM_EXPORT_CRASH_AT (a test hook) is set to something other than <point>:<n>.'],
  E_CSV_CHANGED: ['input', 'A CSV file changed since the interrupted run exported it; run again without --resume.'],
  E_CSV_HEADER: ['input', 'A CSV file does not start with an ML4DQM header (columns missing).'],
  E_CSV_READ: ['input', 'A CSV file cannot be read (missing, unreadable, not a regular file).'],
  E_CSV_ROW: ['input', 'A CSV row is malformed (wrong column count, bad number, bad histogram).'],
  E_CSV_TRUNCATED: [
    'input',
    'A CSV file ends inside a quoted field (still being copied?); nothing of it was exported.',
  ],
  E_CURSOR_INVALID: ['input', "An incremental stream's saved cursor (.dqm-export/state.json) is not valid."],
  E_DATA_CHANGED: [
    'server',
    'A slice changed on the server during the export; re-run with --resume once the data is stable.',
  ],
  E_DIALS_BAD_FILTER: ['config', 'DIALS rejected a filter value of a stream.'],
  E_DIALS_BAD_NEXT: ['server', 'A DIALS page has a next link without a next_token.'],
  E_DIALS_CURSOR: ['server', 'DIALS rejected the page cursor (Invalid cursor); the slice must restart.'],
  E_DIALS_DEVICE_DENIED: ['auth', 'The DIALS device login was refused.'],
  E_DIALS_DEVICE_EXPIRED: ['auth', 'The DIALS device login code expired before it was confirmed.'],
  E_DIALS_DEVICE_PENDING: ['auth', 'The DIALS device login is not confirmed yet (polled again).'],
  E_DIALS_DEVICE_SLOW_DOWN: ['auth', 'DIALS asked the device login to poll more slowly (polled again).'],
  E_DIALS_FORBIDDEN: ['auth', 'DIALS refused the request (403) for a reason it does not name.'],
  E_DIALS_GATEWAY: ['server', 'The DIALS gateway timed out (502/504) on a page; retried with a smaller page size.'],
  E_DIALS_LOGIN_DENIED: ['auth', 'The DIALS login was refused in the browser.'],
  E_DIALS_LOGIN_EXPIRED: ['config', 'The stored DIALS login has expired: run dqm-export login dials again.'],
  E_DIALS_LOGIN_TIMEOUT: ['auth', 'The DIALS login was not confirmed in time.'],
  E_DIALS_NOT_LOGGED_IN: [
    'config',
    'No stored DIALS credentials for the server: run dqm-export login dials, or set DIALS_TOKEN.',
  ],
  E_DIALS_NO_CREDENTIALS: ['auth', 'No credentials reached DIALS: run dqm-export login dials, or set DIALS_TOKEN.'],
  E_DIALS_ORDER: ['server', 'A DIALS page is out of order; the cursor walk cannot be trusted.'],
  E_DIALS_TOKEN_AUDIENCE: ['auth', 'The token was not issued for DIALS (wrong audience).'],
  E_DIALS_TOKEN_INVALID: [
    'auth',
    'The DIALS access token is malformed, unknown or revoked (or the client secret is wrong).',
  ],
  E_DIALS_TOKEN_RESPONSE: ['server', 'The DIALS token endpoint answered without the expected tokens.'],
  E_DIALS_TOKEN_SIGNATURE: ['auth', 'The token signature does not verify (another realm, or altered): log in again.'],
  E_DIALS_TOKEN_STORE: ['config', 'The DIALS login file cannot be read or written.'],
  E_DIALS_WORKSPACE: ['config', 'Unknown DIALS workspace (the message lists the valid ones).'],
  E_FILE_AMBIGUOUS: ['usage', 'Several data file paths match --path-contains; give a longer part or the id.'],
  E_FILE_NO_MATCH: ['input', 'No data file path matches --path-contains.'],
  E_FILTER_REPEATED: ['usage', 'A --filter key is given twice (only title may repeat).'],
  E_FILTER_SYNTAX: ['usage', 'A --filter argument is not key=value.'],
  E_FILTER_UNKNOWN: ['usage', 'A --filter key is not a filter of the endpoint.'],
  E_FILTER_VALUE: ['usage', 'A --filter value has the wrong type for its key.'],
  E_FINALIZE_INCOMPLETE: ['input', 'finalize found missing or inconsistent shards; nothing was marked complete.'],
  E_FS_EACCES: ['input', 'Permission denied on an output or state file.'],
  E_FS_EDQUOT: ['input', 'The disk quota is exceeded while writing output.'],
  E_FS_EFBIG: ['input', 'An output file grew beyond what the filesystem allows.'],
  E_FS_EISDIR: ['input', 'A path that must be a file is a directory.'],
  E_FS_ENOENT: ['input', 'A file or directory does not exist (or vanished while writing).'],
  E_FS_ENOSPC: ['input', 'The disk is full while writing output.'],
  E_FS_ENOTDIR: ['input', 'A path component that must be a directory is a file.'],
  E_FS_EPERM: ['input', 'The operation is not permitted on an output or state file.'],
  E_FS_EROFS: ['input', 'The output is on a read-only filesystem.'],
  E_HOST_NOT_FOUND: ['config', 'The host of the base URL does not resolve (DNS).'],
  E_HTTP_400: ['server', 'The server rejected the request (400), e.g. the filters of a slice.'],
  E_HTTP_404: ['server', 'The server answered 404 Not Found (a wrong URL prefix, or an object that does not exist).'],
  E_HTTP_429: ['transient', 'The server rate-limited the requests (429) beyond the retries.'],
  E_INCOMPLETE: [
    'internal',
    'A slice could not be completed: fewer distinct records than the server count after every retry.',
  ],
  E_INSECURE_HTTP: ['config', 'Plain http to a non-local host would send the token unencrypted; use https.'],
  E_INSPECT_COLUMN: [
    'input',
    'inspect: a column of the dataset has an unexpected type (e.g. histogram data that is not float).',
  ],
  E_INSPECT_DATASET: ['input', 'inspect: the path is not a dataset directory written by dqm-export.'],
  E_INSPECT_LUMISECTION: ['input', "inspect: one run's lumisection numbers span too wide a range to chart."],
  E_INSPECT_MANIFEST: ['input', "inspect: the dataset's manifest cannot be read or is not a dqm-export manifest."],
  E_INSPECT_READ: ['input', 'inspect: a data file of the dataset cannot be read as its format.'],
  E_INSPECT_RUN: ['usage', 'inspect: --run is not a positive run number.'],
  E_INTERNAL: ['internal', 'A bug in dqm-export, or an unexpected error from a library; please report it.'],
  E_INTERRUPTED: ['transient', 'Interrupted (Ctrl-C) while waiting; the server-side work continues.'],
  E_INVALID_PAGE: ['server', 'The server answered "Invalid page." (the list shrank while it was paged).'],
  E_LOGIN_SERVICE: ['usage', 'login/logout: unknown service (valid: dials).'],
  E_NETWORK: ['transient', 'A connection failed (refused, reset, unreachable) beyond the retries.'],
  E_NOT_FOUND: ['server', 'The data file id does not exist on the server.'],
  E_NO_TOKEN: ['config', 'No API token: set DQM_PLAYGROUND_TOKEN (or the token file).'],
  E_NO_URL: ['config', "No server URL: set DQM_PLAYGROUND_URL or the pipeline's source.url."],
  E_OUTPUT_EXISTS: ['config', "The output already holds a dataset (or this shard's files) and the mode is error."],
  E_OUTPUT_FOREIGN: ['config', 'The output directory holds files dqm-export did not write; it is left alone.'],
  E_OUTPUT_NOT_WRITABLE: [
    'config',
    'An output directory (or its nearest existing parent) is not a writable directory.',
  ],
  E_OUTPUT_MANIFEST: ['input', "The previous dataset's manifest cannot be read (append, overwrite)."],
  E_PARQUET_ENCODE: ['internal', 'The Parquet encoder failed on a batch.'],
  E_PARQUET_WORKER: ['internal', 'A Parquet encoder worker thread failed or exited.'],
  E_PARSE_ALREADY_PARSED: [
    'input',
    'The data file is already parsed with these settings (use --force to parse again).',
  ],
  E_PARSE_DIMENSIONALITY: ['usage', "The requested dimensionality does not match the data file's histograms."],
  E_PARSE_FILE_FORMAT: ['usage', 'The data file is not in a format the server can parse.'],
  E_PARSE_GRANULARITY: ['usage', 'Granularity run is not implemented by the DQM Playground server; use lum.'],
  E_PARSE_IN_PROGRESS: ['input', 'The data file is being parsed already.'],
  E_PARSE_STALLED: ['server', 'Parsing of a data file made no progress for too long.'],
  E_PARSE_TIMEOUT: ['server', 'Parsing of a data file did not finish within the timeout.'],
  E_PARTITION_BY: ['config', 'A partitioned output has no partition column.'],
  E_PARTITION_NAME: ['input', 'A partition column has an empty name.'],
  E_PARTITION_VALUE: ['input', 'A partition value is too long for a directory name.'],
  E_PLAN: ['internal', 'The planner was asked for a slicing its endpoint has no dimension for.'],
  E_PLAN_CONTEXT: ['internal', 'The planner lacks the run list it needs to slice by run.'],
  E_PLAN_FILE: ['input', 'A plan file cannot be read, is not a plan file, or was modified after it was written.'],
  E_PLAN_STALE: ['config', 'The plan file was made from a different pipeline (or lacks a stream); write it again.'],
  E_PREPARE_NO_FILE: ['server', 'A prepare.start_parsing step matches no histogram data file.'],
  E_PREPARE_UNSUPPORTED: ['config', 'prepare steps need a dqm-playground source.'],
  E_RECORD_INVALID: ['input', 'A record breaks the shape rules (with strict: true; otherwise it is a reject).'],
  E_RESUME_CONFIG_CHANGED: [
    'config',
    'The pipeline (or plan) changed since the interrupted run; --resume cannot continue it.',
  ],
  E_ROW_COUNT: ['internal', 'A written file holds a different number of rows than were written to it.'],
  E_SCHEMA_CHANGE: ['input', 'The schema changed within one output file (on_shape_change: error).'],
  E_SERVE_DATA_DIR: ['input', 'A --data directory of serve is not a readable directory.'],
  E_SERVE_DIALS_MAP: ['usage', 'The --dials-map file of serve cannot be read or is not a valid map.'],
  E_SERVE_HOST: ['usage', 'serve cannot listen on --host: no such local address.'],
  E_SERVE_OPTION: ['usage', 'A serve option is out of its range.'],
  E_SERVE_PORT_DENIED: ['usage', 'serve is not allowed to listen on the port (below 1024).'],
  E_SERVE_PORT_IN_USE: ['usage', 'The serve port is already in use.'],
  E_SERVE_SYNTHETIC: ['usage', 'The --synthetic specification of serve is malformed.'],
  E_SHAPE_CHANGE: ['input', 'A tensor shape changed between records (on_shape_change: error).'],
  E_SHARD_COUNT: ['usage', 'The shard count is not an integer from 1 to 10000.'],
  E_SHARD_INDEX: ['usage', 'The shard index is not a non-negative integer below the shard count.'],
  E_SHARD_MANIFEST: ['input', 'A shard manifest (_shards/sNNNN.json) cannot be read or is not one.'],
  E_SHARD_UNSUPPORTED: ['usage', 'A stream cannot be sharded (e.g. incremental, or a single slice); run it unsharded.'],
  E_SHRUNK: ['input', 'A CSV file shrank while it was being read.'],
  E_SINK_COMPRESSION: ['config', 'The compression is not available for the output format.'],
  E_SINK_FORMAT: ['config', 'Unknown output format.'],
  E_SINK_OPTION: ['config', 'A file size option of the output is not a positive number of bytes.'],
  E_SINK_PREFIX: ['config', 'An output file prefix has characters not allowed in file names.'],
  E_SINK_STATE: ['internal', 'An output file was written after it was closed or aborted.'],
  E_SOURCE_CLOSED: ['internal', 'A source was used after it was closed.'],
  E_SOURCE_FILES: ['config', 'source.files matches no file, or a pattern is invalid.'],
  E_SOURCE_OPERATION: ['config', 'The operation needs a DQM Playground server; the CSV source cannot do it.'],
  E_SOURCE_UNSUPPORTED: ['config', 'source.type is not supported by this version.'],
  E_TAKE_TYPE: ['internal', 'An Arrow column type cannot be sliced by row.'],
  E_TIMEOUT: ['transient', 'A request timed out beyond the retries.'],
  E_TLS: ['config', "The server's TLS certificate is not trusted; give the site CA with --ca-file."],
  E_TOKEN_FILE: ['config', 'The token file cannot be read.'],
  E_TRANSFORM_CONSTANT: ['config', 'A transform constant is not a string, a finite number or a boolean.'],
  E_TRANSFORM_DTYPE: ['config', 'Unknown transform dtype.'],
  E_TRANSFORM_DUPLICATE: ['config', 'Two output columns get the same name (check rename and constants).'],
  E_TRANSFORM_ENDPOINT: ['config', 'The transform is for an unknown endpoint.'],
  E_TRANSFORM_LAYOUT: ['config', 'Unknown transform layout.'],
  E_TRANSFORM_RENAME: ['config', 'transform.rename names a column the endpoint does not have.'],
  E_TRANSFORM_SELECT: ['config', 'transform.select is empty or names a column the endpoint does not have.'],
  E_TRANSFORM_SHAPE: ['config', 'The tensor layout needs the histogram shape and none is known.'],
  E_TRANSFORM_SHAPE_POLICY: ['config', 'Unknown transform on_shape_change policy.'],
  E_TRUNCATED: ['transient', 'A response body was cut short beyond the retries.'],
  E_UNKNOWN_FILTER: ['config', 'A stream filter is unknown to its endpoint (the server would silently ignore it).'],
  E_USAGE: ['usage', 'Invalid command line (unknown command or option, missing argument); see --help.'],
  E_USAGE_CONFIRM: ['usage', 'A destructive command needs --yes when there is no terminal to ask.'],
  E_USAGE_FIELDS: ['usage', 'A --fields name is not a field of the records listed (DIALS would drop it silently).'],
  E_USAGE_FILE: ['usage', 'A data file must be selected by id or by --path-contains, exactly one.'],
  E_USAGE_FORMAT: ['usage', 'Unknown --format for command output.'],
  E_USAGE_ID: ['usage', 'A data file id is not a positive integer.'],
  E_USAGE_LIMIT: ['usage', '--limit is not a positive integer.'],
  E_USAGE_FILE_FORMAT: ['usage', 'files parse got both --file-format and its old spelling --format.'],
  E_USAGE_NUMBER: ['usage', 'A numeric option (--concurrency, --retries, --timeout, ...) is out of its range.'],
  E_USAGE_TOKEN_FLAG: ['usage', '--token is refused: a token on the command line leaks into shell history and ps.'],
  E_WORKER_CRASHED: ['internal', 'A CSV reading worker thread failed.'],
  E_WORKER_MISSING: ['internal', 'The Parquet encoder worker script is missing from the installation.'],
} as const satisfies Record<`E_${string}`, readonly [ErrorKind, string]>;

/**
 * Codes made from a value, for values without a line of their own above: `E_HTTP_<status>` is an
 * HTTP status the server answered with, after the retries for 5xx.
 */
export const ERROR_CODE_FAMILIES = {
  'E_HTTP_<status>': [
    'server',
    'The server answered with this HTTP status (5xx after the retries); the message has its reason.',
  ],
} as const satisfies Record<`E_${string}`, readonly [ErrorKind, string]>;

/** A code of the catalogue. */
export type CatalogueCode = keyof typeof ERROR_CODES;

/** An HTTP status code of the `E_HTTP_<status>` family. */
export type HttpStatusCode = `E_HTTP_${number}`;

/** Every code an error may carry. */
export type ErrorCode = CatalogueCode | HttpStatusCode;

/** The catalogue's codes of one kind. */
export type CodeOf<K extends ErrorKind> = {
  [C in CatalogueCode]: (typeof ERROR_CODES)[C][0] extends K ? C : never;
}[CatalogueCode];

/** The kind of a code (families included); undefined for a code that is not in the catalogue. */
export function kindOfCode(code: string): ErrorKind | undefined {
  if (Object.hasOwn(ERROR_CODES, code)) return ERROR_CODES[code as CatalogueCode][0];
  if (/^E_HTTP_\d{3}$/.test(code)) return ERROR_CODE_FAMILIES['E_HTTP_<status>'][0];
  return undefined;
}
