/**
 * Logging: pino JSON lines on stderr (or a file). Every message passes through `redact` via pino's
 * `formatters.log` + message hook, so a token that slips into a log call never reaches the output.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { redact } from './secrets.js';

export type { Logger };

export interface LoggerOptions {
  /** pino level; `silent` disables logging. */
  level?: LevelWithSilent;
  /** Write to this file instead of stderr. */
  file?: string;
}

/** Creates the process logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
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

/** A logger that drops everything (library default, tests). */
export const silentLogger: Logger = pino({ level: 'silent' });
