/**
 * Preloaded into benchmarked `run` children by bench/startup.ts (`node --require <this> ...`) when
 * DQM_BENCH_PHASES_FILE is set: at exit it writes when each start-up phase ended (ms since the process
 * started) and the CPU of the main thread and of all threads, so the bench can show where a
 * one-record `run`'s time goes on its critical path. Phases come from what the process does, seen
 * from outside (the encoder worker constructed, its messages, the first socket, the file's `open`
 * and `close`), and from the CLI's own `performance.mark('dqm-export:...')` calls (bundle loaded,
 * pipeline loaded). Thread CPU is read from /proc/self/task/<tid>/schedstat (Linux; ns resolution).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import workerThreads from 'node:worker_threads';

/** What the preload writes (one JSON object). */
export interface ChildPhases {
  /** Phase name -> ms since process start, in the order they happened (a phase that did not happen is absent). */
  marks: Record<string, number>;
  /** CPU ms of the main thread when the first file was opened in the encoder worker, and at exit. */
  mainCpuAtOpenMs?: number;
  mainCpuMs?: number;
  /** CPU ms of every thread of the process at exit (encoder worker, V8 and libuv helpers included). */
  allCpuMs?: number;
  /**
   * Minor page faults of the main thread when the first file was opened and at exit, and of the
   * whole process at exit (Linux): on a virtual machine where a fault is expensive, what a start-up
   * costs follows the memory it touches.
   */
  mainFaultsAtOpen?: number;
  mainFaults?: number;
  allFaults?: number;
}

/** CPU ms a thread of this process has run (undefined off Linux). */
function threadCpuMs(tid: number | string): number | undefined {
  try {
    return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

/** Minor page faults of this process's main thread so far (field 10 of /proc/<pid>/task/<pid>/stat; Linux). */
function mainThreadFaults(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
    const faults = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
    return Number.isFinite(faults) ? faults : undefined;
  } catch {
    return undefined;
  }
}

function allThreadsCpuMs(): number | undefined {
  try {
    return readdirSync('/proc/self/task').reduce((sum, tid) => sum + (threadCpuMs(tid) ?? 0), 0);
  } catch {
    return undefined;
  }
}

const file = process.env.DQM_BENCH_PHASES_FILE;
if (file && workerThreads.isMainThread) {
  const result: ChildPhases = { marks: { 'node ready': performance.now() } };
  const mark = (name: string): void => {
    result.marks[name] ??= performance.now();
  };
  const Base = workerThreads.Worker;
  // bin.cjs reads `Worker` from the module when it starts one, so replacing the export is seen.
  workerThreads.Worker = class extends Base {
    constructor(...args: ConstructorParameters<typeof Base>) {
      mark('encoder worker spawned');
      super(...args);
      this.on('message', (reply: { type?: string }) => {
        if (reply?.type === 'warmed') mark('encoder worker warm');
        if (reply?.type === 'closed') mark('first file encoded');
      });
    }
  };
  const post = Base.prototype.postMessage;
  Base.prototype.postMessage = function (this: InstanceType<typeof Base>, message: unknown, transfer?: never) {
    const type = (message as { type?: string } | null)?.type;
    if (type === 'open' && result.marks['first file opened'] === undefined) {
      mark('first file opened');
      result.mainCpuAtOpenMs = threadCpuMs(process.pid);
      result.mainFaultsAtOpen = mainThreadFaults();
    }
    if (type === 'close') mark('first file closed');
    return post.call(this, message, transfer);
  };
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    mark('first connection');
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  };
  process.on('exit', () => {
    mark('exit');
    for (const m of performance.getEntriesByType('mark'))
      if (m.name.startsWith('dqm-export:')) result.marks[m.name.slice('dqm-export:'.length)] = m.startTime;
    result.marks = Object.fromEntries(Object.entries(result.marks).sort((a, b) => a[1] - b[1]));
    result.mainCpuMs = threadCpuMs(process.pid);
    result.allCpuMs = allThreadsCpuMs();
    result.mainFaults = mainThreadFaults();
    result.allFaults = process.resourceUsage().minorPageFault;
    writeFileSync(file, JSON.stringify(result));
  });
}
