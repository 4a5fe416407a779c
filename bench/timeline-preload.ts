/**
 * Preloaded into a CLI child by bench/cli-concurrency.ts (through NODE_OPTIONS, `--import`): records
 * when each HTTP request was handed to a socket, sent, answered (headers) and complete, from undici's
 * diagnostics channels, in ms since the process started, and writes them with the exit time to the
 * file named by DQM_BENCH_TIMELINE_FILE. The bench turns them into the phases of the command
 * (`summarizeTimeline`): start-up, the ramp to full concurrency, how full the connections stayed,
 * the tail after the last response. Nothing in the CLI knows about it.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';

/** One request's times, ms since process start (undefined: never reached). */
export interface RequestTimes {
  /** Handed to a connection (undici's Request created). */
  create: number;
  send?: number;
  headers?: number;
  done?: number;
}

/** What the preload writes (one JSON object). */
export interface Timeline {
  requests: RequestTimes[];
  exitMs: number;
}

const file = process.env.DQM_BENCH_TIMELINE_FILE;
if (file) {
  const times = new WeakMap<object, RequestTimes>();
  const requests: RequestTimes[] = [];
  const stamp = (key: 'send' | 'headers' | 'done') => (message: unknown) => {
    const t = times.get((message as { request: object }).request);
    if (t) t[key] = performance.now();
  };
  subscribe('undici:request:create', (message) => {
    const t: RequestTimes = { create: performance.now() };
    times.set((message as { request: object }).request, t);
    requests.push(t);
  });
  subscribe('undici:client:sendHeaders', stamp('send'));
  subscribe('undici:request:headers', stamp('headers'));
  subscribe('undici:request:trailers', stamp('done'));
  process.on('exit', () => {
    const timeline: Timeline = { requests, exitMs: performance.now() };
    writeFileSync(file, JSON.stringify(timeline));
  });
}
