/** The package version, read once from package.json (works from src/ under vitest and from dist/src/). */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('dqm-export: package.json not found above ' + fileURLToPath(import.meta.url));
}

/** Root of the installed package (holds package.json, data/sample, pipelines). */
export const PACKAGE_ROOT = findPackageRoot();

/** `version` from package.json. */
export const VERSION: string = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;

/** Directory of the bundled sample CSVs. */
export const SAMPLE_DATA_DIR = join(PACKAGE_ROOT, 'data', 'sample');
