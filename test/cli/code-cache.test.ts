import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CACHED_COMMANDS,
  COMMONJS_WRAPPER,
  MAX_CACHE_FILES,
  cacheFileName,
  cacheKey,
  codeCacheDir,
  loadCommonJs,
} from '../../src/cli/code-cache.js';
import { COMMAND_ENTRIES } from '../../src/cli/commands/index.js';
import { withServer } from '../helpers/server.js';
import { BIN, binBuilt, runBin, writeOneStreamPipeline } from './harness.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dqm-code-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A small CommonJS file in the shape scripts/bundle.mjs writes (require, exports, __dqmI_). */
function writeBundle(tag = ''): string {
  const file = join(dir, 'cli.cjs');
  // V8 keeps compiled scripts by source text in the process: each test's text is its own, so a
  // cache is really read from disk (or rejected) rather than served from memory.
  writeFileSync(
    file,
    [
      `// ${tag}`,
      "const path = require('node:path');",
      'function twice(x) { return x * 2; }',
      'exports.main = async () => twice(21);',
      'exports.base = path.basename(__filename);',
      "exports.loadUrl = () => __dqmI_('node:url');",
    ].join('\n'),
  );
  return file;
}

const importModule = (specifier: string) => import(specifier);

describe('code cache loader', () => {
  it('runs the file as CommonJS and writes one cache for the command once it finished', async () => {
    const file = writeBundle();
    const cacheDir = join(dir, 'cache');
    const loaded = await loadCommonJs({ file, buildId: 'b1', key: 'run', cacheDir, importModule });
    expect(await (loaded.exports.main as () => Promise<number>)()).toBe(42);
    expect(loaded.exports.base).toBe('cli.cjs');
    const url = (await (loaded.exports.loadUrl as () => Promise<{ pathToFileURL: unknown }>)()).pathToFileURL;
    expect(typeof url).toBe('function');
    expect(existsSync(cacheDir)).toBe(false);
    loaded.save();
    const name = cacheFileName('b1', 'run', file);
    expect(readdirSync(cacheDir)).toEqual([name]);
    expect(statSync(join(cacheDir, name)).mode & 0o077).toBe(0);
  });

  it('keeps a code path of a command (a variant) in a cache of its own', async () => {
    const file = writeBundle('variants');
    const cacheDir = join(dir, 'cache');
    (await loadCommonJs({ file, buildId: 'b1', key: 'run', cacheDir, importModule })).save();
    (await loadCommonJs({ file, buildId: 'b1', key: 'run', variant: 'csv', cacheDir, importModule })).save();
    expect(readdirSync(cacheDir).sort()).toEqual(
      [cacheFileName('b1', 'run', file), cacheFileName('b1', 'run-csv', file)].sort(),
    );
  });

  it('ignores a cache V8 rejects, and rewrites it', async () => {
    const file = writeBundle('rejected');
    const cacheDir = join(dir, 'cache');
    (await loadCommonJs({ file, buildId: 'b1', key: 'run', cacheDir, importModule })).save();
    const path = join(cacheDir, cacheFileName('b1', 'run', file));
    writeFileSync(path, 'not a code cache');
    writeBundle('rejected, second text');
    const loaded = await loadCommonJs({ file, buildId: 'b1', key: 'run', cacheDir, importModule });
    expect(typeof loaded.exports.main).toBe('function');
    loaded.save();
    expect(readFileSync(path, 'latin1')).not.toBe('not a code cache');
  });

  it('keeps at most MAX_CACHE_FILES caches, removing the least recently written', async () => {
    const file = writeBundle('eviction');
    const cacheDir = join(dir, 'cache');
    mkdirSync(cacheDir);
    for (let i = 0; i < MAX_CACHE_FILES; i++) {
      const old = join(cacheDir, `old-${i}.v8cache`);
      writeFileSync(old, '');
      utimesSync(old, 1000 + i, 1000 + i);
    }
    writeFileSync(join(cacheDir, 'unrelated.txt'), 'kept');
    (await loadCommonJs({ file, buildId: 'new', key: 'validate', cacheDir, importModule })).save();
    const left = readdirSync(cacheDir);
    expect(left).toHaveLength(MAX_CACHE_FILES + 1);
    expect(left).toContain(cacheFileName('new', 'validate', file));
    expect(left).toContain('unrelated.txt');
    expect(left).not.toContain('old-0.v8cache');
    expect(left).toContain('old-1.v8cache');
  });

  it('runs without a cache directory, or with one it cannot write', async () => {
    const file = writeBundle();
    const none = await loadCommonJs({ file, buildId: 'b1', key: 'run', cacheDir: undefined, importModule });
    expect(() => none.save()).not.toThrow();
    const notADir = join(dir, 'a-file');
    writeFileSync(notADir, '');
    const blocked = await loadCommonJs({ file, buildId: 'b1', key: 'run', cacheDir: notADir, importModule });
    expect(typeof blocked.exports.main).toBe('function');
    expect(() => blocked.save()).not.toThrow();
  });

  it('keys caches by command, and by runtime and build in the file name', () => {
    expect(cacheKey(['run', 'p.yaml', '--out', 'x'])).toBe('run');
    expect(cacheKey(['--verbose', 'histograms', 'list'])).toBe('histograms');
    expect(cacheKey(['--help'])).toBe('other');
    expect(cacheKey(['rnu', 'p.yaml'])).toBe('other');
    expect(cacheKey([])).toBe('other');
    expect(cacheFileName('b1', 'run', '/a/cli.cjs', [])).not.toBe(
      cacheFileName('b1', 'run', '/a/cli.cjs', ['--max-old-space-size=100']),
    );
    expect(cacheFileName('b1', 'run', '/a/cli.cjs')).not.toBe(cacheFileName('b2', 'run', '/a/cli.cjs'));
    expect(cacheFileName('b1', 'run', '/a/cli.cjs')).toMatch(/^run-b1-[0-9a-f]{8}\.v8cache$/);
  });

  it('keeps one cache per install: a function restored from a cache names the file it runs from', async () => {
    // Node 20 keeps the compiled-under file name in cached functions: two installs of one build
    // sharing a cache would print each other's paths in stack traces.
    const cacheDir = join(dir, 'cache');
    const text = ['// installs', 'exports.where = () => new Error("x").stack.split("\\n")[1];'].join('\n');
    const files = ['one', 'two'].map((name) => {
      mkdirSync(join(dir, name));
      const file = join(dir, name, 'cli.cjs');
      writeFileSync(file, text);
      return file;
    });
    expect(cacheFileName('b1', 'run', files[0])).not.toBe(cacheFileName('b1', 'run', files[1]));
    for (const file of files) {
      const loaded = await loadCommonJs({ file, buildId: 'b1', key: 'run', cacheDir, importModule });
      expect((loaded.exports.where as () => string)()).toContain(file);
      loaded.save();
    }
    expect(readdirSync(cacheDir)).toHaveLength(2);
  });

  it('runs a file already wrapped as the bundles are written, through its cache, as it runs a plain one', async () => {
    const cacheDir = join(dir, 'cache');
    const plain = writeBundle('wrapped');
    const file = join(dir, 'wrapped.cjs');
    writeFileSync(file, COMMONJS_WRAPPER.head + readFileSync(plain, 'latin1') + COMMONJS_WRAPPER.tail);
    const first = await loadCommonJs({ file, buildId: 'w1', key: 'run', cacheDir, importModule });
    expect(await (first.exports.main as () => Promise<number>)()).toBe(42);
    expect(first.exports.base).toBe('wrapped.cjs');
    first.save();
    const [cache] = readdirSync(cacheDir);
    const again = await loadCommonJs({ file, buildId: 'w1', key: 'run', cacheDir, importModule });
    again.save(); // accepted: not rewritten
    expect(readdirSync(cacheDir)).toEqual([cache]);
    expect(await (again.exports.main as () => Promise<number>)()).toBe(42);
    expect(await (again.exports.loadUrl as () => Promise<unknown>)()).toHaveProperty('pathToFileURL');
  });

  it('finds its directory from the environment', () => {
    expect(codeCacheDir({ DQM_EXPORT_CODE_CACHE: '0' })).toBeUndefined();
    expect(codeCacheDir({ DQM_EXPORT_CODE_CACHE: 'off' })).toBeUndefined();
    expect(codeCacheDir({ DQM_EXPORT_CODE_CACHE: '/x/y' })).toBe('/x/y');
    expect(codeCacheDir({ XDG_CACHE_HOME: '/c' })).toBe(join('/c', 'dqm-export', 'code-cache'));
  });

  it('has a cache for every command of the registry', () => {
    expect([...CACHED_COMMANDS].sort()).toEqual(
      [...new Set(COMMAND_ENTRIES.map((e) => e.command.split(' ')[0]!))].sort(),
    );
  });
});

describe.skipIf(!binBuilt)('the built CLI and its code cache', () => {
  it('writes a cache per command on the first run and gives the same output with it', async () => {
    expect(existsSync(BIN)).toBe(true);
    const env = { DQM_EXPORT_CODE_CACHE: join(dir, 'cc') };
    const first = await runBin(['--help'], env);
    const files = readdirSync(join(dir, 'cc'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^other-/);
    const second = await runBin(['--help'], env);
    expect(second).toEqual(first);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('');
    const off = await runBin(['--help'], { DQM_EXPORT_CODE_CACHE: '0' });
    expect(off).toEqual(first);
  }, 180_000);

  it('writes no cache for a command that failed (it would hold the path to the error only)', async () => {
    const env = { DQM_EXPORT_CODE_CACHE: join(dir, 'cc') };
    const cached = () => (existsSync(join(dir, 'cc')) ? readdirSync(join(dir, 'cc')) : []);
    const missing = join(dir, 'missing.yaml');
    const first = await runBin(['run', missing], env);
    expect(first.code).toBe(2);
    expect(first.stderr).toContain('E_CONFIG_FILE');
    expect(cached()).toEqual([]);
    // Through yargs too (main.ts), and for a failure at run time (nothing listens on port 9).
    const usage = await runBin(['runs', 'list', '--no-such-option'], env);
    expect(usage.code).toBe(2);
    const network = await runBin(['runs', 'list', '--url', 'http://127.0.0.1:9', '--retries', '0'], {
      ...env,
      DQM_PLAYGROUND_TOKEN: 'code-cache-test',
    });
    expect(network.code).toBe(1);
    expect(cached()).toEqual([]);
    const second = await runBin(['run', missing], env);
    expect(second).toEqual(first);
    expect(cached()).toEqual([]);
  }, 180_000);

  it('has bundles written in the wrapper the loader compiles as it is (no copy of the text)', () => {
    for (const name of ['cli.cjs', 'run.cjs']) {
      const text = readFileSync(join(dirname(BIN), 'bundle', name), 'latin1');
      expect(text.startsWith(COMMONJS_WRAPPER.head)).toBe(true);
      expect(text.endsWith(COMMONJS_WRAPPER.tail)).toBe(true);
    }
  });

  it("runs `run FILE` from run's own bundle and other command lines from cli.cjs, with the same report", async () => {
    const cc = join(dir, 'cc-run-bundle');
    const env = { DQM_EXPORT_CODE_CACHE: cc };
    // The build id in a cache's name is a hash of the bundle's text (scripts/bundle.mjs).
    const build = (name: string) =>
      createHash('sha256')
        .update(readFileSync(join(dirname(BIN), 'bundle', name)))
        .digest('hex')
        .slice(0, 16);
    const builds = () => readdirSync(cc).map((f) => f.split('-').slice(0, 2).join('-'));
    const server = await withServer({ synthetic: 'runs=1,ls=1,titles=1,dim=1,x=10' });
    try {
      const pipeline = writeOneStreamPipeline(dir, server.url);
      const exportEnv = { ...env, DQM_PLAYGROUND_TOKEN: server.adminToken };
      const args = ['run', pipeline, '--out', join(dir, 'out'), '--no-progress', '--log-level', 'warn'];
      const fast = await runBin(args, exportEnv);
      expect(fast.code, fast.stderr).toBe(0);
      expect(builds()).toEqual([`run-${build('run.cjs')}`]);
      // `--resume=false`: a form fast-run.ts leaves to yargs, so cli.cjs runs it (same arguments).
      const viaYargs = await runBin([...args, '--resume=false'], exportEnv);
      expect(builds().sort()).toEqual([`run-${build('cli.cjs')}`, `run-${build('run.cjs')}`].sort());
      const report = (r: { stdout: string }) => r.stdout.replace(/"seconds":[0-9.]+/g, '');
      expect(viaYargs.code).toBe(0);
      expect(report(viaYargs)).toEqual(report(fast));
    } finally {
      await server.close();
    }
    // A failure is reported the same way by both.
    const missing = join(dir, 'missing.yaml');
    const fastFailure = await runBin(['run', missing], env);
    expect(fastFailure.code).toBe(2);
    expect(fastFailure.stderr).toContain('E_CONFIG_FILE');
    expect(await runBin(['run', missing, '--resume=false'], env)).toEqual(fastFailure);
    const verbose = await runBin(['run', missing, '--verbose'], env);
    expect(verbose.code).toBe(2);
    expect(verbose.stderr.split('\n').length).toBeGreaterThan(2);
  }, 180_000);

  it("accepts histograms' cache on the next start (histograms sets V8 flags of its own and compiles undici's wasm)", async () => {
    const server = await withServer({ synthetic: 'runs=1,ls=2,titles=1,dim=1,x=10' });
    try {
      const env = { DQM_EXPORT_CODE_CACHE: join(dir, 'cc-histograms'), DQM_PLAYGROUND_TOKEN: server.adminToken };
      const args = ['histograms', 'list', '--dim', '1', '--all', '--format', 'jsonl', '--url', server.url];
      const first = await runBin(args, env);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout.trim().split('\n')).toHaveLength(2);
      const [file] = readdirSync(join(dir, 'cc-histograms'));
      expect(file).toMatch(/^histograms-list-/);
      const written = statSync(join(dir, 'cc-histograms', file!));
      const second = await runBin(args, env);
      expect(second).toEqual(first);
      const after = statSync(join(dir, 'cc-histograms', file!));
      expect([after.ino, after.mtimeMs]).toEqual([written.ino, written.mtimeMs]);
      // `histograms get` (through yargs) keeps a cache of its own: list's, made without yargs, is not used for it.
      const get = await runBin(['histograms', 'get', '1', '--dim', '1', '--url', server.url], env);
      expect(get.code, get.stderr).toBe(0);
      const files = readdirSync(join(dir, 'cc-histograms')).sort();
      expect(files).toHaveLength(2);
      expect(files.filter((name) => name.startsWith('histograms-list-'))).toEqual([file]);
    } finally {
      await server.close();
    }
  }, 180_000);

  it("accepts run's cache after a run that exported (V8 flags set by the command and the worker)", async () => {
    const server = await withServer({ synthetic: 'runs=1,ls=1,titles=1,dim=1,x=10' });
    try {
      const pipeline = writeOneStreamPipeline(dir, server.url);
      const env = { DQM_EXPORT_CODE_CACHE: join(dir, 'cc'), DQM_PLAYGROUND_TOKEN: server.adminToken };
      const args = ['run', pipeline, '--out', join(dir, 'out'), '--no-progress', '--log-level', 'warn'];
      const first = await runBin(args, env);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const [file] = readdirSync(join(dir, 'cc'));
      expect(file).toMatch(/^run-/);
      const written = statSync(join(dir, 'cc', file!));
      const second = await runBin(args, env);
      expect(second.code).toBe(0);
      expect(second.stdout.replace(/"seconds":[0-9.]+/g, '')).toEqual(first.stdout.replace(/"seconds":[0-9.]+/g, ''));
      const after = statSync(join(dir, 'cc', file!));
      expect([after.ino, after.mtimeMs]).toEqual([written.ino, written.mtimeMs]);
      // Node's internal modules of run's path (http, crypto) were compiled with the code
      // cache built into node: no V8 flag was set before the command was loaded.
      const report = join(dir, 'builtins.json');
      const preload = fileURLToPath(new URL('../fixtures/code-cache/builtins-preload.cjs', import.meta.url));
      const third = await runBin(
        args,
        {
          ...env,
          DQM_TEST_BUILTINS_FILE: report,
        },
        undefined,
        undefined,
        ['--expose-internals', '-r', preload, BIN],
      );
      expect(third.code).toBe(0);
      const usage = JSON.parse(readFileSync(report, 'utf8')) as { withCache: string[]; withoutCache: string[] };
      // (readline is no longer on it: cli-progress, which loads it, loads only for a terminal.)
      expect(usage.withCache).toEqual(expect.arrayContaining(['http', '_http_client', 'crypto']));
      expect(usage.withoutCache).not.toContain('http');
    } finally {
      await server.close();
    }
  }, 180_000);

  it("accepts a CSV convert's cache on the next start (its stream sets heap flags while it runs)", async () => {
    const env = { DQM_EXPORT_CODE_CACHE: join(dir, 'cc') };
    const csv = fileURLToPath(new URL('../../data/sample/ZeroBias_2018A_DataFrame_1D_2.csv', import.meta.url));
    const first = await runBin(['convert', csv, '--out', join(dir, 'one'), '--no-progress'], env);
    expect(first.code, first.stderr).toBe(0);
    const [file] = readdirSync(join(dir, 'cc'));
    expect(file).toMatch(/^convert-csv-/);
    const written = statSync(join(dir, 'cc', file!));
    const second = await runBin(['convert', csv, '--out', join(dir, 'two'), '--no-progress'], env);
    expect(second.code, second.stderr).toBe(0);
    const after = statSync(join(dir, 'cc', file!));
    expect([after.ino, after.mtimeMs]).toEqual([written.ino, written.mtimeMs]);
  }, 180_000);
});
