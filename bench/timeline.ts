/**
 * The phases of one CLI child's HTTP timeline (bench/timeline-preload.ts): where the wall time of a
 * concurrent listing or export goes, so a speed-up short of the ideal says which part fell short.
 */
import type { Timeline } from './timeline-preload.js';

/** Phases of one command, ms since its process started unless named otherwise. */
export interface TimelineSummary {
  requests: number;
  /** The first request handed to a connection: start-up and planning before any HTTP. */
  firstRequestMs: number;
  /** First time `concurrency` requests were on the wire at once (null: never). */
  fullMs: number | null;
  /** The last response complete. */
  lastResponseMs: number;
  /** Process exit. */
  exitMs: number;
  /** Mean requests on the wire from `fullMs` to the last response (ideal: the concurrency). */
  wireMean: number;
  /** Mean time from a request sent to its response headers (server latency as the client saw it). */
  latencyMeanMs: number;
  /** Mean time a connection waited between a response complete and the next request handed to one, once all were busy. */
  turnoverMeanMs: number;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Summarises a timeline of a command run at `concurrency`. */
export function summarizeTimeline(timeline: Timeline, concurrency: number): TimelineSummary {
  const done = timeline.requests.filter(
    (r): r is Required<typeof r> => r.send !== undefined && r.headers !== undefined && r.done !== undefined,
  );
  const edges = done.flatMap((r) => [
    { t: r.send, d: 1 },
    { t: r.done, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let onWire = 0;
  let fullMs: number | null = null;
  for (const e of edges) {
    onWire += e.d;
    if (fullMs === null && onWire >= concurrency) fullMs = e.t;
  }
  const lastResponseMs = Math.max(...done.map((r) => r.done));
  let busy = 0;
  if (fullMs !== null) {
    for (const r of done) busy += Math.max(0, Math.min(r.done, lastResponseMs) - Math.max(r.send, fullMs));
  }
  const dones = done.map((r) => r.done).sort((a, b) => a - b);
  const creates = timeline.requests.map((r) => r.create).sort((a, b) => a - b);
  // Once every connection has been busy, the k-th request handed to a connection follows the
  // (k - concurrency)-th response: the gap is the time a connection waited for work (planning
  // rounds before that would count as waits).
  const turnover = creates
    .map((c, k) => ({ c, k }))
    .filter(({ c, k }) => fullMs !== null && c > fullMs && k >= concurrency)
    .map(({ c, k }) => Math.max(0, c - dones[k - concurrency]));
  return {
    requests: timeline.requests.length,
    firstRequestMs: creates[0] ?? 0,
    fullMs,
    lastResponseMs,
    exitMs: timeline.exitMs,
    wireMean: fullMs === null || lastResponseMs <= fullMs ? 0 : busy / (lastResponseMs - fullMs),
    latencyMeanMs: mean(done.map((r) => r.headers - r.send)),
    turnoverMeanMs: mean(turnover),
  };
}
