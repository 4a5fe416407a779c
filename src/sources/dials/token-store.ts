/**
 * The login file: DIALS tokens per server, in a file only the user can read (0600, its directory
 * 0700) under `$XDG_CONFIG_HOME/dqm-export/` (default `~/.config/dqm-export/`). Written atomically
 * (temporary file with the final mode, then rename), so a crash never leaves a half-written file.
 */
import { chmodSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../errors.js';

/** Tokens of one server; times in milliseconds since the epoch. */
export interface StoredTokens {
  access_token: string;
  refresh_token: string;
  /** When the access token was received. */
  issued_at: number;
  /** When the access token expires. */
  expires_at: number;
  /** When the refresh token expires. */
  refresh_expires_at: number;
}

/** Path of the login file for an environment. */
export function tokenFilePath(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'dqm-export', 'dials-tokens.json');
}

type FileContent = Record<string, StoredTokens>;

function readAll(file: string): FileContent {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(
      'E_DIALS_TOKEN_STORE',
      `cannot read the DIALS login file ${file}: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as FileContent;
  } catch {
    // fall through
  }
  throw new ConfigError(
    'E_DIALS_TOKEN_STORE',
    `the DIALS login file ${file} is not valid JSON: delete it and log in again`,
    { file },
  );
}

/** The stored tokens of `baseUrl`, or null. */
export function readTokens(file: string, baseUrl: string): StoredTokens | null {
  const t = readAll(file)[baseUrl];
  const ok =
    t &&
    typeof t.access_token === 'string' &&
    typeof t.refresh_token === 'string' &&
    [t.issued_at, t.expires_at, t.refresh_expires_at].every(Number.isFinite);
  return ok ? t : null;
}

async function writeAll(file: string, content: FileContent): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600); // the umask cannot widen it, but an existing temporary could be looser
  await rename(tmp, file);
}

/** Stores (replaces) the tokens of `baseUrl`. */
export async function writeTokens(file: string, baseUrl: string, tokens: StoredTokens): Promise<void> {
  const all = readAll(file);
  all[baseUrl] = tokens;
  await writeAll(file, all);
}

/** Deletes the tokens of `baseUrl` (the file when none are left); true when there were some. */
export async function deleteTokens(file: string, baseUrl: string): Promise<boolean> {
  const all = readAll(file);
  if (!(baseUrl in all)) return false;
  delete all[baseUrl];
  if (Object.keys(all).length === 0) await rm(file, { force: true });
  else await writeAll(file, all);
  return true;
}
