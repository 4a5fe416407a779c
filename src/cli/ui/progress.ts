/**
 * Progress display for `run`: a cli-progress bar on a terminal (records, pages, MB, rate, ETA), and
 * nothing at all otherwise (logs carry the progress there). The runner only calls `update`, so it
 * never knows whether a terminal is attached.
 */
import { formatEta, progressView } from './progress-model.js';

/** Counters the runner reports as it goes. */
export interface ProgressState {
  records: number;
  pages: number;
  bytesIn: number;
}

/** What the runner talks to. */
export interface ProgressReporter {
  /** Sets the planned number of records (from the plan's page-1 probes); 0 when unknown. */
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

/**
 * A cli-progress bar on `stream` (stderr), redrawn at most 10 times a second; the numbers come from
 * `progressView`. cli-progress (16 modules) is loaded here, so that a run without a terminal (a
 * scheduled export, a shard task) never loads it.
 */
export async function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Promise<ProgressReporter> {
  const { default: cliProgress } = await import('cli-progress');
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        ' {bar} {pct}% | {value}/{total}{approx} records | {pages} pages | {mb} MB | {rate} rec/s | ETA {eta_text}',
      barsize: 24,
      hideCursor: true,
      fps: 10,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let startedBar = false;
  let planned: number | null = null;
  let last: ProgressState = { records: 0, pages: 0, bytesIn: 0 };
  const draw = (s: ProgressState, finished = false) => {
    const elapsedMs = Date.now() - started;
    const view = progressView({ planned, done: s.records, finished, elapsedMs });
    const payload = {
      pct: view.percentage,
      approx: view.planned ? '' : '+',
      pages: s.pages,
      mb: (s.bytesIn / 1e6).toFixed(1),
      rate: Math.round(s.records / Math.max(0.001, elapsedMs / 1000)),
      eta_text: formatEta(view.etaSeconds),
    };
    if (!startedBar) {
      bar.start(Math.max(view.total, 1), view.value, payload);
      startedBar = true;
    } else {
      bar.setTotal(Math.max(view.total, 1));
      bar.update(view.value, payload);
    }
  };
  return {
    setTotal(records) {
      planned = records > 0 ? records : null;
      draw(last);
    },
    update(s) {
      last = { ...s };
      draw(last);
    },
    stop() {
      if (startedBar) bar.stop();
    },
  };
}
