/**
 * What `validate` can check beyond the schema without a server: the CSV source's files and globs
 * (through the same resolution `run` uses), a readable token file, a CA file holding a certificate,
 * and that each stream's output directory can be created and written. (The URL is the schema's.)
 * Every finding is a ConfigError naming the file and field, as `run` would fail with later.
 */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { LoadedPipeline } from '../../config/index.js';
import { ConfigError, DqmExportError } from '../../errors.js';
import { streamRoot } from '../../dataset/layout.js';
import { expandFiles } from '../../sources/csv/csv-files.js';
import { registerSecret } from '../../secrets.js';

/** Options of `localChecks`. */
export interface LocalCheckOptions {
  /** Directory relative output paths resolve against (`--out`); default the pipeline file's directory. */
  outDir?: string;
}

/** Every problem found, in file order (empty when the pipeline can run as far as the disk can tell). */
export async function localChecks(loaded: LoadedPipeline, options: LocalCheckOptions = {}): Promise<DqmExportError[]> {
  const found: DqmExportError[] = [];
  const attempt = async (check: () => Promise<void> | void): Promise<void> => {
    try {
      await check();
    } catch (err) {
      // A problem another layer raises (a CSV glob that matches nothing is an input error) is reported as it is.
      if (err instanceof DqmExportError) found.push(err);
      else throw err;
    }
  };
  const { file, dir, pipeline } = loaded;
  const source = pipeline.source;
  if (source.type === 'ml4dqm-csv') {
    await attempt(async () => void (await expandFiles(source.files, { file, dir })));
  } else if (source.type === 'dqm-playground') {
    if (source.token_file) await attempt(() => checkTokenFile(file, resolve(dir, source.token_file!)));
    if (source.ca_file) await attempt(() => checkCaFile(file, resolve(dir, source.ca_file!)));
  }
  const outRoot = options.outDir ? resolve(options.outDir) : dir;
  for (const [i, stream] of pipeline.streams.entries()) {
    await attempt(() => checkOutputDir(file, `streams[${i}].output.path`, streamRoot(stream, outRoot)));
  }
  return found;
}

async function checkTokenFile(file: string, path: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      'E_TOKEN_FILE',
      `${file}: source.token_file: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        file,
        field: 'source.token_file',
      },
    );
  }
  const token = text.trim();
  if (token) registerSecret(token);
  if (!token || /\s/.test(token)) {
    throw new ConfigError(
      'E_TOKEN_FILE',
      `${file}: source.token_file: ${path} must hold exactly one token (got ${token ? 'several words' : 'nothing'})`,
      {
        file,
        field: 'source.token_file',
      },
    );
  }
}

async function checkCaFile(file: string, path: string): Promise<void> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      'E_CA_FILE',
      `${file}: source.ca_file: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        file,
        field: 'source.ca_file',
      },
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError('E_CA_FILE', `${file}: source.ca_file: ${path} holds no PEM certificate`, {
      file,
      field: 'source.ca_file',
    });
  }
}

/** The directory exists and is writable, or its nearest existing ancestor is a writable directory. */
async function checkOutputDir(file: string, field: string, root: string): Promise<void> {
  let dir = root;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = (await stat(dir)).isDirectory();
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return;
      dir = parent;
      continue;
    }
    const what = dir === root ? 'the output directory' : `its nearest existing parent ${dir}`;
    if (!isDir)
      throw new ConfigError(
        'E_OUTPUT_NOT_WRITABLE',
        `${file}: ${field}: cannot write ${root}: ${what} is not a directory`,
        { file, field },
      );
    try {
      await access(dir, constants.W_OK | constants.X_OK);
    } catch {
      throw new ConfigError(
        'E_OUTPUT_NOT_WRITABLE',
        `${file}: ${field}: cannot write ${root}: ${what} is not writable`,
        { file, field },
      );
    }
    return;
  }
}
