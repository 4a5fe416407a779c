/**
 * Preloaded into a CLI child by bench/cli-concurrency.ts (through NODE_OPTIONS, `--import`): records
 * when each HTTP request was handed to a socket, sent, answered (headers) and complete, from undici's
 * diagnostics channels, in ms since the process started, and writes them with the exit time to the
 * file named by DQM_BENCH_TIMELINE_FILE. The bench turns them into the phases of the command
 * (`summarizeTimeline`): start-up, the ramp to full concurrency, how full the connections stayed,
 * the tail after the last response. Nothing in the CLI knows about it.
 *
 * It also writes the CPU each thread used (Linux: /proc/self/task/<tid>/schedstat): the main
 * thread, the worker threads (each worker runs this preload too and records its thread id) and the
 * rest (V8's compiler and GC threads, libuv's pool). A thread that ended before the exit keeps its
 * last reading, sampled every 100 ms.
 */
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

/** One request's times, ms since process start (undefined: never reached). */
export interface RequestTimes {
  /** Handed to a connection (undici's Request created). */
  create: number;
  send?: number;
  headers?: number;
  done?: number;
}

/** CPU ms by thread kind (Linux only). */
export interface ThreadCpu {
  main: number;
  /** Worker threads (the encoder worker). */
  workers: number;
  /** Every other thread: V8's platform threads (TurboFan, GC), libuv's pool. */
  others: number;
}

/** What the preload writes (one JSON object). */
export interface Timeline {
  requests: RequestTimes[];
  exitMs: number;
  threads?: ThreadCpu;
}

/** CPU ms of each thread of this process by thread id (empty off Linux). */
function threadCpuMs(into: Map<number, number>): void {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      into.set(Number(tid), Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
    } catch {
      // the thread ended meanwhile: its last sample stands
    }
  }
}

const file = process.env.DQM_BENCH_TIMELINE_FILE;
const workersFile = `${file}.workers`;
if (file && !isMainThread) {
  try {
    appendFileSync(workersFile, `${readlinkSync('/proc/thread-self').split('/').pop()}\n`);
  } catch {
    // not Linux: no per-thread figures
  }
}
if (file && isMainThread) {
  writeFileSync(workersFile, '');
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
  const cpu = new Map<number, number>();
  setInterval(() => threadCpuMs(cpu), 100).unref();
  process.on('exit', () => {
    const timeline: Timeline = { requests, exitMs: performance.now() };
    threadCpuMs(cpu);
    if (cpu.size > 0) {
      const workers = new Set(readFileSync(workersFile, 'utf8').split('\n').filter(Boolean).map(Number));
      const threads: ThreadCpu = { main: 0, workers: 0, others: 0 };
      for (const [tid, ms] of cpu) {
        if (tid === process.pid) threads.main += ms;
        else if (workers.has(tid)) threads.workers += ms;
        else threads.others += ms;
      }
      timeline.threads = threads;
    }
    writeFileSync(file, JSON.stringify(timeline));
  });
}
