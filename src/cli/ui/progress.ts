/**
 * Progress display for `run`: a cli-progress bar on a terminal (records, pages, MB, rate, ETA), and
 * nothing at all otherwise (logs carry the progress there). The runner only calls `update`, so it
 * never knows whether a terminal is attached.
 */
import cliProgress from 'cli-progress';

/** Counters the runner reports as it goes. */
export interface ProgressState {
  records: number;
  pages: number;
  bytesIn: number;
}

/** What the runner talks to. */
export interface ProgressReporter {
  /** Sets the expected number of records (from the plan's page-1 probes), when known. */
  setTotal(records: number): void;
  update(state: ProgressState): void;
  stop(): void;
}

/** A reporter that does nothing (no terminal, `--no-progress`, tests). */
export const silentProgress: ProgressReporter = {
  setTotal() {},
  update() {},
  stop() {},
};

/** A cli-progress bar on `stream` (stderr), redrawn at most 10 times a second. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: ' {bar} {percentage}% | {value}/{total} records | {pages} pages | {mb} MB | {rate} rec/s | ETA {eta_formatted}',
      barsize: 24,
      hideCursor: true,
      fps: 10,
      etaBuffer: 50,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let startedBar = false;
  let total = 0;
  const payload = (s: ProgressState) => {
    const secs = Math.max(0.001, (Date.now() - started) / 1000);
    return { pages: s.pages, mb: (s.bytesIn / 1e6).toFixed(1), rate: Math.round(s.records / secs) };
  };
  return {
    setTotal(records) {
      total = records;
      if (!startedBar) {
        bar.start(Math.max(total, 1), 0, { pages: 0, mb: '0.0', rate: 0 });
        startedBar = true;
      } else bar.setTotal(Math.max(total, 1));
    },
    update(s) {
      if (!startedBar) this.setTotal(total);
      if (s.records > total) bar.setTotal(s.records);
      bar.update(s.records, payload(s));
    },
    stop() {
      if (startedBar) bar.stop();
    },
  };
}
