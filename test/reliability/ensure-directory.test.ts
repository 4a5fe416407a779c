/**
 * `ensureDirectory` (src/load/atomic.ts), behind the "read-only output" bad input: Node's recursive
 * mkdir says ENOENT below a read-only filesystem; ours reports the real cause (E_FS_EROFS, or
 * E_FS_EACCES for a mode-0555 directory when not root) naming the directory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDirectory } from '../../src/load/atomic.js';
import { removeTempDirs, tempDir } from './helpers.js';

afterAll(() => removeTempDirs());

describe('ensureDirectory', () => {
  it('makes nested directories, and is a no-op when they exist', async () => {
    const dir = join(await tempDir(), 'a', 'b', 'c');
    await ensureDirectory(dir);
    await ensureDirectory(dir);
    expect(existsSync(dir)).toBe(true);
  });

  it('reports why a directory cannot be made below an unwritable one', async () => {
    const parent = join(await tempDir(), 'locked');
    await mkdir(parent);
    const root = process.getuid?.() === 0;
    // Root ignores modes: a read-only tmpfs is the unwritable directory then (Node alone says ENOENT).
    if (root) execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=16k', 'tmpfs', parent]);
    else await chmod(parent, 0o555);
    try {
      await expect(ensureDirectory(join(parent, 'out', 'h1d'))).rejects.toMatchObject({
        code: root ? 'E_FS_EROFS' : 'E_FS_EACCES',
        message: expect.stringContaining(join(parent, 'out')),
      });
    } finally {
      if (root) execFileSync('umount', [parent]);
      else await chmod(parent, 0o755);
    }
  });
});
