/** `dqm-export validate FILE...`: checks pipeline files completely, without connecting anywhere. */
import type { Argv, CommandModule } from 'yargs';
import { loadPipeline, type LoadedPipeline } from '../../config/index.js';
import { ConfigError } from '../../errors.js';
import { redact } from '../../secrets.js';
import { localChecks } from '../validate/local-checks.js';

interface ValidateArgs {
  /** Pipeline files (YAML or JSON). */
  files: string[];
  /** Also print each resolved pipeline as JSON. */
  print: boolean;
  /** Directory relative output paths resolve against, as `run --out` (for the output checks). */
  out?: string;
}

/** `FILE: valid (2 streams: runs, h2d)`. */
function summary(file: string, loaded: LoadedPipeline): string {
  const names = loaded.pipeline.streams.map((s) => s.name);
  return `${file}: valid (${names.length} stream${names.length === 1 ? '' : 's'}: ${names.join(', ')})`;
}

/** The resolved pipeline for --print: the token replaced, so the output can be pasted anywhere. */
function printable(loaded: LoadedPipeline): string {
  const source = { ...loaded.pipeline.source } as Record<string, unknown>;
  if (source.token !== undefined) source.token = '***';
  if (source.client_secret !== undefined) source.client_secret = '***';
  return redact(
    JSON.stringify(
      { file: loaded.file, configHash: loaded.configHash, pipeline: { ...loaded.pipeline, source } },
      null,
      2,
    ),
  );
}

/** The `validate` command: exit 0 when every file is valid, else the ConfigError (exit 2). */
export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate <files..>',
  describe:
    'Check pipeline files: schema, filter names, ${VAR} interpolation, CSV files, token/CA files, output dirs (no network)',
  builder: (y: Argv) =>
    y
      .positional('files', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'Pipeline files (YAML or JSON)',
      })
      .option('print', {
        type: 'boolean',
        default: false,
        describe: 'Also print each resolved pipeline (defaults applied, token hidden) and its config hash as JSON',
      })
      .option('out', {
        type: 'string',
        requiresArg: true,
        describe: 'Directory output paths resolve against, as for run --out (for the output checks)',
      })
      .example([
        ['$0 validate pipelines/demo.yaml', 'check one file; exit code 2 and file:line:col messages if invalid'],
        ['$0 validate pipelines/*.yaml', 'check several (every problem of every file is listed)'],
        ['$0 validate --print pipelines/pixel-2d.yaml', 'show the pipeline with every default filled in'],
      ]) as Argv<ValidateArgs>,
  handler: async (argv) => {
    const failures: ConfigError[] = [];
    for (const file of argv.files) {
      try {
        const loaded = await loadPipeline(file);
        // What a run would trip over before any request: CSV globs, token and CA files, output dirs.
        const local = await localChecks(loaded, { outDir: argv.out });
        if (local.length > 0) {
          failures.push(...local);
          continue;
        }
        process.stdout.write(summary(file, loaded) + '\n');
        if (argv.print) process.stdout.write(printable(loaded) + '\n');
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) {
      const files = new Set(failures.map((f) => f.context.file)).size;
      const message = [
        `${files} of ${argv.files.length} pipeline files are invalid:`,
        ...failures.map((f) => f.message),
      ].join('\n');
      throw new ConfigError('E_CONFIG_INVALID', message, { files: failures.map((f) => f.context.file) });
    }
  },
};
