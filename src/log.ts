/**
 * Logging: pino JSON lines on stderr (or a file). Every message passes through `redact` via pino's
 * `formatters.log` + message hook, so a token that slips into a log call never reaches the output.
 *
 * pino itself is loaded and set up at the first message of an enabled level, not when the logger is
 * made: a `run --log-level warn` that warns about nothing (a scheduled export) never loads it, ~7 ms
 * of a one-record `run`'s start-up (docs/decisions.md, "CLI start-up: pino loaded at the first line").
 */
import { createRequire } from 'node:module';
import type { Logger as PinoLogger, LevelWithSilent, LogFn } from 'pino';
import { redact } from './secrets.js';

/** What dqm-export logs through: pino's four levels it uses (a pino logger is one, e.g. in tests). */
export type Logger = Pick<PinoLogger, 'debug' | 'info' | 'warn' | 'error'>;

export interface LoggerOptions {
  /** pino level; `silent` disables logging. */
  level?: LevelWithSilent;
  /** Write to this file instead of stderr. */
  file?: string;
}

/** pino's level numbers (pino's `levels.values`), `silent` above all. */
const LEVEL_VALUES: Readonly<Record<LevelWithSilent, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

type Pino = typeof import('pino');

/**
 * pino, loaded on first use. In the CLI's bundle (CommonJS) `require` is the bundle's own, which
 * esbuild resolves to the bundled pino (in the code cache); tsc's ES-module output has none.
 */
function loadPino(): Pino {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first needed (above)
  if (typeof require === 'function') return require('pino') as Pino;
  return createRequire(import.meta.url)('pino') as Pino;
}

/** The pino logger `createLogger` stands for. */
function pinoLogger(options: LoggerOptions): PinoLogger {
  const { pino } = loadPino();
  const destination = options.file
    ? pino.destination({ dest: options.file, sync: true, mkdir: true })
    : pino.destination({ dest: 2, sync: true });
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      hooks: {
        // Redact the rendered message and each string argument.
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redact(a) : a)) as Parameters<typeof method>);
        },
      },
      formatters: {
        log(object) {
          return JSON.parse(redact(JSON.stringify(object)));
        },
      },
    },
    destination,
  );
}

/**
 * Creates the process logger. A log file is created at once (an export with `--log-file` leaves the
 * file, empty or not); pino is set up at the first message at or above `level`. `make` builds the
 * pino logger (tests count its calls).
 */
export function createLogger(
  options: LoggerOptions = {},
  make: (options: LoggerOptions) => PinoLogger = pinoLogger,
): Logger {
  const threshold = LEVEL_VALUES[options.level ?? 'info'];
  let real = options.file !== undefined ? make(options) : undefined;
  const method = (name: keyof Logger): LogFn => {
    if (LEVEL_VALUES[name] < threshold) return () => {};
    return (...args: unknown[]) => {
      real ??= make(options);
      Reflect.apply(real[name], real, args);
    };
  };
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}

/** A logger that drops everything (library default, tests). */
export const silentLogger: Logger = createLogger({ level: 'silent' });
