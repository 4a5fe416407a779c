/**
 * `defaults:` merged into each stream before validation, so a stream is checked (and typed) with
 * the values it will run with. The merge is shallow per section: a key the stream sets replaces
 * the default's key whole (a stream's `constants` replaces the default `constants`, no deep merge).
 * Each merged value remembers where it was written, so an error points at `defaults`.
 */
import type { FieldPath } from './document.js';

/** Sections of a stream that `defaults` may fill. */
export const DEFAULTABLE_SECTIONS = ['transform', 'output'] as const;

/** Where values merged from `defaults` were written: `streams.0.output.mode` -> `defaults.output.mode`. */
export type Origins = Map<string, FieldPath>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Returns a copy of the raw pipeline data with `defaults` merged into every stream, and the origins
 * of the merged values. Leaves anything that is not shaped as expected alone (validation reports it).
 */
export function mergeStreamDefaults(data: unknown): { data: unknown; origins: Origins } {
  const origins: Origins = new Map();
  if (!isPlainObject(data) || !isPlainObject(data.defaults) || !Array.isArray(data.streams)) return { data, origins };
  const defaults = data.defaults;
  const streams = data.streams.map((stream, i) => {
    if (!isPlainObject(stream)) return stream;
    const merged: Record<string, unknown> = { ...stream };
    for (const section of DEFAULTABLE_SECTIONS) {
      const d = defaults[section];
      if (!isPlainObject(d)) continue;
      const own = stream[section];
      if (own !== undefined && !isPlainObject(own)) continue;
      const target: Record<string, unknown> = { ...(own ?? {}) };
      for (const [key, value] of Object.entries(d)) {
        if (key in target) continue;
        target[key] = value;
        origins.set(originKey(['streams', i, section, key]), ['defaults', section, key]);
      }
      merged[section] = target;
    }
    return merged;
  });
  return { data: { ...data, streams }, origins };
}

function originKey(path: FieldPath): string {
  return path.map(String).join('\u0000');
}

/** Rewrites `path` to where its value was written, when it (or an ancestor) came from `defaults`. */
export function originOf(origins: Origins, path: FieldPath): FieldPath {
  for (let n = path.length; n > 0; n--) {
    const from = origins.get(originKey(path.slice(0, n)));
    if (from) return [...from, ...path.slice(n)];
  }
  return path;
}
