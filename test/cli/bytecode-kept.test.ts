/**
 * The code cache of a long command (src/cli/code-cache.ts, KEEP_BYTECODE): V8 flushes the bytecode of
 * functions that have not run for a few full collections, and the cache is made at exit from what
 * still has bytecode, so a long `run` used to leave a cache without its start-up functions (0.81 MB
 * against 1.41 MB) and every later start-up compiled them again. A child process stands for the long
 * command: `--stress-flush-code` makes V8 flush at every full collection, and ten `gc()` calls stand
 * for a long run's. It runs the built loader (dist), as the CLI does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, binBuilt } from './harness.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dqm-bytecode-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Bytes of the cache a child writes after running `startUp` once, then only `other` through ten full collections. */
function cacheBytes(setFlags: boolean): number {
  const lib = join(dir, 'lib.cjs');
  writeFileSync(
    lib,
    [
      'exports.startUp = function startUp() {',
      '  let s = 0;',
      '  for (let i = 0; i < 10; i++) s += i * 2;',
      '  return s + [1, 2, 3].map((x) => x + 1).length;',
      '};',
      'exports.other = function other() { return 42; };',
    ].join('\n'),
  );
  const child = join(dir, 'child.mjs');
  const loader = pathToFileURL(join(dirname(BIN), 'code-cache.js')).href;
  writeFileSync(
    child,
    [
      `import { loadCommonJs, setCommandV8Flags } from ${JSON.stringify(loader)};`,
      "import { readdirSync, statSync } from 'node:fs';",
      'const [cacheDir, lib, set] = process.argv.slice(2);',
      "const loaded = await loadCommonJs({ file: lib, buildId: 'test', key: 'run', cacheDir, importModule: (s) => import(s) });",
      'loaded.exports.startUp();',
      "if (set === 'yes') setCommandV8Flags('run');",
      'for (let i = 0; i < 10; i++) { globalThis.gc(); loaded.exports.other(); }',
      'loaded.save();',
      'const [file] = readdirSync(cacheDir);',
      'process.stdout.write(String(statSync(cacheDir + "/" + file).size));',
    ].join('\n'),
  );
  const cacheDir = join(dir, setFlags ? 'kept' : 'flushed');
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--stress-flush-code', child, cacheDir, lib, setFlags ? 'yes' : 'no'],
    { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
  );
  return Number(out);
}

describe.skipIf(!binBuilt)('the code cache after a long command', () => {
  it('still holds the functions the command ran first', () => {
    const flushed = cacheBytes(false);
    const kept = cacheBytes(true);
    // Without the command's flags, V8 flushed startUp: the control shows the collections did flush.
    expect(flushed).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(flushed * 1.5);
  }, 60_000);
});
