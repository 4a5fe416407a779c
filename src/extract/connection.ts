/**
 * Where to connect and with which token. The base URL comes from the pipeline, `DQM_PLAYGROUND_URL`
 * or a preset name; the token from the pipeline (programmatic use), a token file, or
 * `DQM_PLAYGROUND_TOKEN` / `DQM_PLAYGROUND_TOKEN_FILE`, never from a command-line value, which would
 * land in shell history and `ps`. The token is registered as a secret the moment it is known.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';
import { registerSecret } from '../secrets.js';

/**
 * Named servers. These are the public hosts the seed project (the ML4DQM playground notebooks)
 * points at: production and the development instance. Both need a CERN SSO-issued API token.
 */
export const PRESETS = {
  prod: 'https://ml4dqm-playground.web.cern.ch',
  develop: 'https://ml4dqm-playground-dev.web.cern.ch',
} as const;
export type PresetName = keyof typeof PRESETS;

/** Inputs of `resolveConnection`; explicit values win over the environment. */
export interface ConnectionInput {
  /** Base URL or preset name (`prod`, `develop`), e.g. from the pipeline file. */
  url?: string;
  /** Token given programmatically (never from argv). */
  token?: string;
  /** File whose trimmed content is the token. */
  tokenFile?: string;
  /** Environment to read `DQM_PLAYGROUND_URL`, `DQM_PLAYGROUND_TOKEN`, `DQM_PLAYGROUND_TOKEN_FILE` from. */
  env: Record<string, string | undefined>;
}

/** A resolved connection, with where each part came from (for `--verbose` and manifests; no token). */
export interface Connection {
  baseUrl: string;
  token: string;
  urlSource: 'option' | 'env' | 'preset';
  tokenSource: 'option' | 'file' | 'env' | 'env-file';
}

/** Applies options, environment and presets; fails with a ConfigError that names what to set. */
export function resolveConnection(input: ConnectionInput): Connection {
  const rawUrl = input.url ?? input.env.DQM_PLAYGROUND_URL;
  if (!rawUrl) {
    throw new ConfigError(
      'E_NO_URL',
      `no DQM Playground URL: set DQM_PLAYGROUND_URL or the pipeline's url. Valid presets are: ${Object.keys(PRESETS).join(', ')}`,
    );
  }
  const preset = rawUrl in PRESETS ? PRESETS[rawUrl as PresetName] : undefined;
  const baseUrl = normalizeBaseUrl(preset ?? rawUrl);
  const urlSource = preset ? 'preset' : input.url ? 'option' : 'env';

  let token: string | undefined;
  let tokenSource: Connection['tokenSource'] | undefined;
  if (input.token) {
    token = input.token;
    tokenSource = 'option';
  } else if (input.tokenFile) {
    token = readSecretFile(input.tokenFile, 'token');
    tokenSource = 'file';
  } else if (input.env.DQM_PLAYGROUND_TOKEN) {
    token = input.env.DQM_PLAYGROUND_TOKEN.trim();
    tokenSource = 'env';
  } else if (input.env.DQM_PLAYGROUND_TOKEN_FILE) {
    token = readSecretFile(input.env.DQM_PLAYGROUND_TOKEN_FILE, 'token');
    tokenSource = 'env-file';
  }
  if (!token || !tokenSource) {
    throw new ConfigError(
      'E_NO_TOKEN',
      'no DQM Playground API token: set DQM_PLAYGROUND_TOKEN, or DQM_PLAYGROUND_TOKEN_FILE to a file holding it',
    );
  }
  registerSecret(token);
  return { baseUrl, token, urlSource, tokenSource };
}

/** Reads a file holding exactly one secret (token or client secret). */
export function readSecretFile(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      'E_TOKEN_FILE',
      `cannot read ${what} file ${file}: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  }
  const value = text.trim();
  registerSecret(value);
  if (!value || /\s/.test(value))
    throw new ConfigError(
      'E_TOKEN_FILE',
      `${what} file ${file} must hold exactly one ${what} (got ${value ? 'several words' : 'nothing'})`,
      { file },
    );
  return value;
}

/**
 * Checks and normalises a base URL: http(s) only, no credentials, no query; trailing slash and a
 * trailing `/api` removed (the client appends `/api/<endpoint>/`).
 */
export function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      'E_BAD_URL',
      `invalid DQM Playground URL "${raw}": expected http(s)://host[:port][/prefix] or one of ${Object.keys(PRESETS).join(', ')}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(
      'E_BAD_URL',
      `invalid DQM Playground URL "${raw}": protocol ${url.protocol} (expected https: or http:)`,
    );
  }
  if (url.username || url.password) {
    throw new ConfigError('E_BAD_URL', 'the DQM Playground URL must not contain credentials; use DQM_PLAYGROUND_TOKEN');
  }
  if (url.search || url.hash) {
    throw new ConfigError('E_BAD_URL', `invalid DQM Playground URL "${raw}": no query or fragment expected`);
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api$/, '');
  return url.origin + path;
}

/** True for localhost and loopback addresses (127/8, ::1), where plain http exposes nothing. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1' || host.startsWith('::ffff:127.');
  return false;
}

/** Refuses plain http to a remote host unless explicitly allowed: the token would travel in clear. */
export function checkTransportSecurity(baseUrl: string, allowInsecureHttp: boolean): void {
  const url = new URL(baseUrl);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecureHttp) {
    throw new ConfigError(
      'E_INSECURE_HTTP',
      `refusing plain http to ${url.host}: the API token would be sent unencrypted; use https, or set allowInsecureHttp`,
      { url: url.origin },
    );
  }
}
