/**
 * CPU of this process's threads from /proc/self/task (Linux): per thread, and per record of a
 * measured loop split into the main thread, threads started during it (encoder workers) and the rest.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** CPU time per record of a measured loop, in microseconds, by thread. */
export interface CpuPerRecord {
  /** The main thread (JSON.parse, transform, IPC). */
  main: number;
  /** Threads started during the loop: the encoder worker(s). */
  encoder: number;
  /** Every other thread: V8's garbage-collection helpers, libuv. */
  helpers: number;
}

/** CPU seconds (user + system) of each thread of this process, or null off Linux. */
export function threadCpuSeconds(): Map<string, number> | null {
  if (!existsSync('/proc/self/task')) return null;
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      // Fields after the command name (which may hold spaces: split after its last ')'): state is
      // field 3, utime 14, stime 15 (clock ticks of 1/100 s).
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** CPU per record between two `threadCpuSeconds` snapshots; threads absent from `before` are encoders. */
export function cpuPerRecord(
  before: Map<string, number> | null,
  after: Map<string, number> | null,
  records: number,
): CpuPerRecord | null {
  if (!before || !after) return null;
  const main = String(process.pid);
  const cpu = { main: 0, encoder: 0, helpers: 0 };
  for (const [tid, seconds] of after) {
    const used = seconds - (before.get(tid) ?? 0);
    if (tid === main) cpu.main += used;
    else if (before.has(tid)) cpu.helpers += used;
    else cpu.encoder += used;
  }
  return {
    main: (cpu.main * 1e6) / records,
    encoder: (cpu.encoder * 1e6) / records,
    helpers: (cpu.helpers * 1e6) / records,
  };
}
