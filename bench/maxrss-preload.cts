/**
 * Preloaded into benchmarked CLI children (`node --require <this> dist/src/cli/bin.cjs ...`): at exit
 * it writes the process's peak RSS (all threads, encoder workers included) and its lifetime to the
 * file named by DQM_BENCH_MAXRSS_FILE, with its CPU time. The CLI itself does not report its memory, and
 * `/usr/bin/time -v` is not on every machine; `process.resourceUsage()` is.
 *
 * `bootMs` is when this module ran (Node's own bootstrap), `exitMs` when the process exited, both
 * in ms since the process started, so the bench can split a child's wall time into Node start-up,
 * CLI start-up and the pipeline's own seconds.
 */
import { writeFileSync } from 'node:fs';

/** What the preload writes (one JSON object). */
export interface ChildResources {
  /** Peak resident set size, KiB (process.resourceUsage().maxRSS). */
  maxRssKB: number;
  /** ms from process start to this preload running. */
  bootMs: number;
  /** ms from process start to the 'exit' event. */
  exitMs: number;
  /** User + system CPU seconds of the whole process (all threads). */
  cpuSeconds: number;
  /** Minor page faults of the whole process (fresh pages touched), to the 'exit' event. */
  minorFaults: number;
}

const file = process.env.DQM_BENCH_MAXRSS_FILE;
const bootMs = performance.now();
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    const resources: ChildResources = {
      maxRssKB: usage.maxRSS,
      bootMs,
      exitMs: performance.now(),
      cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
      minorFaults: usage.minorPageFault,
    };
    writeFileSync(file, JSON.stringify(resources));
  });
}
