/**
 * `npm run bench`: runs every benchmark under bench/ in its own process, one after the other, passing
 * `--quick` through. Each prints its figures as text and one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
let failed = 0;
for (const name of ['server', 'extract', 'load']) {
  process.stdout.write(`\n=== bench/${name} ===\n`);
  const r = spawnSync(process.execPath, [join(here, `${name}.js`), ...(quick ? ['--quick'] : [])], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
