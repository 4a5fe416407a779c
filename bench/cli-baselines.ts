/**
 * The baselines and side measurements of bench/cli-concurrency.ts: JSON.parse of the same page bodies,
 * the client alone in fresh processes (bench/client-pass.ts), and the commands at c = 16 with the
 * pages requested ahead of page 1 on and off (DQM_EXPORT_SPECULATIVE_PAGES=0), alternated.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import type { CliRun, ServeChild } from './cli-child.js';
import type { ClientPassResult } from './client-pass.js';
import { summarizeTimeline } from './timeline.js';
import type { ThreadCpu, Timeline } from './timeline-preload.js';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Fetches every page of the 1D list (16 connections), then times JSON.parse of all of them (second pass). */
export async function parseBaseline(
  server: ServeChild,
  pages: number,
): Promise<{ records: number; bytes: number; cpuUsPerRecord: number }> {
  const pool = new Pool(server.url, { connections: 16 });
  const headers = { accept: 'application/json', authorization: `Token ${server.token}` };
  const texts: string[] = new Array(pages);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < pages) {
          const page = ++next;
          const res = await pool.request({
            method: 'GET',
            path: `/api/lumisection_histograms_1d/?page=${page}`,
            headers,
          });
          const text = await res.body.text();
          if (res.statusCode !== 200) throw new Error(`bench: page ${page} -> HTTP ${res.statusCode}`);
          texts[page - 1] = text;
        }
      }),
    );
  } finally {
    await pool.close();
  }
  let records = 0;
  for (const t of texts) records += (JSON.parse(t) as { results: unknown[] }).results.length; // first pass: warm-up
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const c0 = cpuNow();
    for (const t of texts) JSON.parse(t);
    best = Math.min(best, cpuNow() - c0);
  }
  const bytes = texts.reduce((n, t) => n + t.length, 0);
  return { records, bytes, cpuUsPerRecord: (best / records) * 1e6 };
}

/** CPU by thread of one command at c = 16 (bench/timeline-preload.ts), ms, and per record net of start-up, us. */
export interface ThreadSplit {
  startupMs: ThreadCpu;
  bigMs: ThreadCpu;
  usPerRecordNet: ThreadCpu;
}

/** Client CPU per record of one mode, microseconds: the cold round (a CLI's) and the warm one. */
export interface ClientPassRow {
  mode: ClientPassResult['mode'];
  coldMainUs: number;
  coldHelpersUs: number;
  warmMainUs: number;
  warmHelpersUs: number;
}

const CLIENT_PASS = join(dirname(fileURLToPath(import.meta.url)), 'client-pass.js');

/**
 * Where the client's CPU goes without the CLI around it: bench/client-pass.ts in fresh processes
 * (cold, as a CLI is), undici's request API (the transport before) and the transport, interleaved,
 * best of `repeats` per figure.
 */
export async function clientPasses(server: ServeChild, pages: number, repeats: number): Promise<ClientPassRow[]> {
  const runs = new Map<string, ClientPassResult[]>();
  for (let i = 0; i < repeats; i++) {
    for (const mode of ['request', 'transport'] as const) {
      const { stdout } = await promisify(execFile)(process.execPath, [
        CLIENT_PASS,
        mode,
        server.url,
        server.token,
        String(pages),
      ]);
      runs.set(mode, [...(runs.get(mode) ?? []), JSON.parse(stdout) as ClientPassResult]);
    }
  }
  return [...runs].map(([mode, results]) => {
    const best = (pick: (r: ClientPassResult) => number) =>
      Math.min(...results.map((r) => (pick(r) / r.records) * 1e6));
    return {
      mode: mode as ClientPassResult['mode'],
      coldMainUs: best((r) => r.rounds[0].main),
      coldHelpersUs: best((r) => r.rounds[0].helpers),
      warmMainUs: best((r) => r.rounds[1].main),
      warmHelpersUs: best((r) => r.rounds[1].helpers),
    };
  });
}

/** One command at c = 16 with pages ahead on and off: medians of alternated pairs. */
export interface SpeculativeResult {
  pairs: number;
  onSeconds: number;
  offSeconds: number;
  /** First request to all 16 connections busy (the timeline), ms. */
  onRampMs: number;
  offRampMs: number;
}

/**
 * `command` at c = 16 with the pages requested ahead of page 1 on and off (DQM_EXPORT_SPECULATIVE_PAGES
 * =0), alternated `pairs` times, with the timeline preload (`timelineEnv`, writing `timelineFile`).
 */
export async function speculativeOnOff(
  command: (env: Record<string, string>) => Promise<CliRun>,
  timelineEnv: Record<string, string>,
  timelineFile: string,
  pairs: number,
): Promise<SpeculativeResult> {
  const m = { on: [] as number[], off: [] as number[], onFull: [] as number[], offFull: [] as number[] };
  for (let i = 0; i < pairs; i++) {
    for (const mode of i % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const env = { ...timelineEnv, ...(mode === 'off' ? { DQM_EXPORT_SPECULATIVE_PAGES: '0' } : {}) };
      m[mode].push((await command(env)).wallSeconds);
      const t = summarizeTimeline(JSON.parse(readFileSync(timelineFile, 'utf8')) as Timeline, 16);
      m[mode === 'on' ? 'onFull' : 'offFull'].push((t.fullMs ?? t.lastResponseMs) - t.firstRequestMs);
    }
  }
  return {
    pairs,
    onSeconds: median(m.on),
    offSeconds: median(m.off),
    onRampMs: median(m.onFull),
    offRampMs: median(m.offFull),
  };
}
