/**
 * `npm run bench`: runs every benchmark under bench/ in its own process, one after the other, passing
 * `--quick` through (each bench picks its own smaller sizes). Each prints its figures as text and one
 * JSON line. Sequential on purpose: on 2 cores, two benchmarks at once would measure each other.
 * Full run: several minutes (the 100k-record memory export alone is 2-3); `-- --quick`: about one.
 * `-- --big` adds bench/csv's 2.5 GB file.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
let failed = 0;
// bench/csv's 2.5 GB file only with `--big` (generating and exporting it takes minutes).
const extra: Record<string, string[]> = { csv: process.argv.includes('--big') ? [] : ['--no-big'] };
for (const name of [
  'startup',
  'cli-concurrency',
  'many-slices',
  'server',
  'extract',
  'load',
  'parquet-writer',
  'encoder-alternatives',
  'run-e2e',
  'memory-run',
  'shards',
  'inspect',
  'dials',
  'csv',
]) {
  process.stdout.write(`\n=== bench/${name} ===\n`);
  const started = performance.now();
  const r = spawnSync(
    process.execPath,
    [join(here, `${name}.js`), ...(quick ? ['--quick'] : []), ...(extra[name] ?? [])],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) failed++;
  process.stdout.write(
    `(bench/${name}: ${((performance.now() - started) / 1000).toFixed(0)} s${r.status !== 0 ? `, FAILED with exit ${r.status ?? r.signal}` : ''})\n`,
  );
}
process.exitCode = failed ? 1 : 0;
