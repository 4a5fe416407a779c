/**
 * The real server's captures (test/fixtures/captures/NN_*.json), loaded in replay order, and the
 * normalisation that makes a local response comparable: timestamps (format checked, value dropped)
 * and the storage root in `filepath` values.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/** One capture as stored (compact form). */
export interface Capture {
  file: string;
  index: number;
  request: { method: string; path: string; auth: string | null; headers: Record<string, string>; body: unknown };
  status: number;
  headers: Array<[string, string]>;
  body: unknown;
  body_bytes: number;
  body_kind: string;
}

export const CAPTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'captures');

/** Every capture, in replay order (numeric prefix). */
export function loadCaptures(): Capture[] {
  return readdirSync(CAPTURE_DIR)
    .filter((f) => /^\d+_.*\.json$/.test(f))
    .map(
      (file) =>
        ({ file, index: parseInt(file, 10), ...JSON.parse(readFileSync(join(CAPTURE_DIR, file), 'utf8')) }) as Capture,
    )
    .sort((a, b) => a.index - b.index);
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** Replaces timestamps (after checking their format) and maps `localRoot` in paths to the captures' `/data/dqm`. */
export function normalise(value: unknown, localRoot?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => normalise(v, localRoot));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if ((k === 'date' || k === 'created' || k === 'modified') && typeof v === 'string') {
        expect(v, `${k} format`).toMatch(TIMESTAMP);
        out[k] = '<timestamp>';
      } else if (k === 'filepath' && typeof v === 'string' && localRoot) {
        out[k] = v.startsWith(localRoot) ? '/data/dqm' + v.slice(localRoot.length) : v;
      } else {
        out[k] = normalise(v, localRoot);
      }
    }
    return out;
  }
  return value;
}
