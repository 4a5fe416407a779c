/**
 * Young generations that do not grow, for the length of a CSV export (issue #15: peak RSS must not
 * depend on the file's size).
 *
 * V8 doubles an isolate's young generation once enough bytes survived its collections since the
 * last growth. The main thread of a CSV export allocates little (~4 MB/s of small batch objects)
 * but long enough for that: its semi-spaces went from 8 to 16 MB ~36 s into a 2.5 GB export and
 * never in a 0.5 GB one, +16 MB of peak RSS for the bigger file. V8 reads
 * `--semi-space-growth-factor` at each growth, so 1 holds every isolate at its size from then on,
 * and `--min-semi-space-size` when it creates one, so worker threads started during the hold begin
 * at their cap (2 MB semi-spaces, src/worker-limits.ts) instead of staying at 1 MB (a 3 MB young
 * generation cost the CSV export ~10 % more CPU). V8 also puts a factor under 2 back to 2 whenever
 * it creates an isolate, i.e. for every worker thread started later: the hold sets it again once
 * each new worker is online. Both go back to V8's defaults when the last hold ends or the process
 * exits (a code cache is made under the flags it was read with). docs/decisions.md, "CSV exports:
 * young generations that do not grow".
 */
import { setFlagsFromString } from 'node:v8';
import type { Worker } from 'node:worker_threads';

/** Holds in force (streams of one pipeline can overlap). */
let holds = 0;

function hold(): void {
  if (holds > 0) setFlagsFromString('--semi-space-growth-factor=1');
}

/** Worker threads started from now on begin at their cap (src/worker-limits.ts: 2 MB semi-spaces). */
function startAtCap(): void {
  setFlagsFromString('--min-semi-space-size=2');
}

/** V8's default, set back when the last hold ends (a code cache made at exit is then made under the flags it was read with). */
function letGrow(): void {
  setFlagsFromString('--semi-space-growth-factor=2');
  setFlagsFromString('--min-semi-space-size=0');
}

function onWorker(worker: Worker): void {
  worker.once('online', hold);
}

function atExit(): void {
  if (holds > 0) letGrow();
}

/**
 * Stops every young generation of the process from growing until the returned function is called
 * (idempotent). Also ends at process exit, before the code cache is written.
 */
export function holdYoungGenerations(): () => void {
  if (holds++ === 0) {
    process.on('worker', onWorker);
    // Before bin.ts' 'exit' listener, which writes the code cache.
    process.prependOnceListener('exit', atExit);
    startAtCap();
  }
  hold();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holds > 0) return;
    process.off('worker', onWorker);
    process.off('exit', atExit);
    letGrow();
  };
}
