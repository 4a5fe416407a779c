/**
 * Provenance of an output: `.dqm-export/manifest.json` (every file with rows, bytes, sha256, partition and Arrow
 * schema; source, filters, config hash, tool version, timings), the same provenance as key-value
 * metadata inside each file, and `.dqm-export/_SUCCESS`, written last. All three are written atomically.
 */
import { join } from 'node:path';
import type { Filters } from '../domain.js';
import { safeUrl } from '../secrets.js';
import { VERSION } from '../version.js';
import { writeFileAtomic } from '../load/atomic.js';
import type { WrittenFile } from '../load/types.js';
import type { JournalFile } from './journal.js';
import { MANIFEST_PATH, SUCCESS_PATH } from './layout.js';

/** A file as the manifest lists it: a journal's file with its format known (the schema may be absent in datasets resumed from older journals). */
export type ManifestFile = JournalFile & Pick<WrittenFile, 'format'>;

/** Where the data came from. */
export interface Provenance {
  /** Source URL (the list endpoint); tokens are stripped before it is written anywhere. */
  sourceUrl: string;
  /** Endpoint name, e.g. `lumisection_histograms_2d`. */
  endpoint: string;
  /** Filters as configured. */
  filters: Filters;
  /** Hash of the pipeline configuration. */
  configHash: string;
  /** ISO time the export started. */
  startedAt: string;
}

/** The manifest of one output root. */
export interface Manifest {
  /** Format version of this file; bumped on incompatible changes. */
  manifestVersion: 1;
  /** The tool and version that wrote the output. */
  tool: { name: 'dqm-export'; version: string };
  /** Token-free source URL, endpoint and filters. */
  source: { url: string; endpoint: string; filters: Filters };
  /** Hash of the pipeline configuration that produced the output. */
  configHash: string;
  /** ISO time the export started. */
  startedAt: string;
  /** ISO time the manifest was built. */
  finishedAt: string;
  /** Seconds per phase (e.g. `extract`, `load`, `total`), as the caller measured them. */
  timings: Record<string, number>;
  /** Total rows over all files. */
  rows: number;
  /** Rejected records and where they were written, if any. */
  rejects?: { count: number; file?: string };
  /** Every data file, sorted by path. */
  files: ManifestFile[];
  /** How each slice was proven complete (slice key -> proof, e.g. `count-endpoint`), where the source names it. */
  completeness?: Record<string, string>;
}

/** Key-value metadata for every file (Parquet footer, Arrow schema): the provenance, token-free. */
export function provenanceMetadata(p: Provenance): Record<string, string> {
  return {
    'dqm_export.version': VERSION,
    'dqm_export.source_url': safeUrl(p.sourceUrl),
    'dqm_export.endpoint': p.endpoint,
    'dqm_export.filters': JSON.stringify(p.filters),
    'dqm_export.config_hash': p.configHash,
    'dqm_export.started_at': p.startedAt,
  };
}

/** Assembles a manifest; files are listed sorted by path. */
export function buildManifest(input: {
  provenance: Provenance;
  files: readonly ManifestFile[];
  timings: Record<string, number>;
  finishedAt?: string;
  rejects?: { count: number; file?: string };
  completeness?: Record<string, string>;
}): Manifest {
  const files = [...input.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest: Manifest = {
    manifestVersion: 1,
    tool: { name: 'dqm-export', version: VERSION },
    source: {
      url: safeUrl(input.provenance.sourceUrl),
      endpoint: input.provenance.endpoint,
      filters: input.provenance.filters,
    },
    configHash: input.provenance.configHash,
    startedAt: input.provenance.startedAt,
    finishedAt: input.finishedAt ?? new Date().toISOString(),
    timings: input.timings,
    rows: files.reduce((n, f) => n + f.rows, 0),
    files,
  };
  if (input.rejects) manifest.rejects = input.rejects;
  if (input.completeness && Object.keys(input.completeness).length) manifest.completeness = input.completeness;
  return manifest;
}

/** Writes `.dqm-export/manifest.json` in `root` atomically (the source URL is made token-free again, to be sure). */
export async function writeManifest(root: string, manifest: Manifest): Promise<void> {
  const safe: Manifest = { ...manifest, source: { ...manifest.source, url: safeUrl(manifest.source.url) } };
  await writeFileAtomic(join(root, MANIFEST_PATH), JSON.stringify(safe, null, 2) + '\n', 'manifest');
}

/** Writes the empty `.dqm-export/_SUCCESS` marker in `root` atomically; call it after `writeManifest`. */
export async function writeSuccessMarker(root: string): Promise<void> {
  await writeFileAtomic(join(root, SUCCESS_PATH), '', 'success');
}
