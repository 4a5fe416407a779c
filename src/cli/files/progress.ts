/**
 * Progress of a data file being parsed, fed by the client's polls (`percentage_processed`). On a
 * terminal: a cli-progress bar on stderr. Otherwise: one log line on stderr each time the
 * percentage changes, so a CI log shows progress without control characters.
 */
import cliProgress from 'cli-progress';
import type { ParseProgress } from '../../extract/types.js';
import { formatNumber } from '../output/text.js';

/** Receives every poll; `stop` once at the end. */
export interface ParseProgressDisplay {
  /** Shows one poll's progress. */
  update(progress: ParseProgress): void;
  /** Ends the bar (restoring the cursor); safe to call more than once. */
  stop(): void;
}

/** Options of createParseProgress. */
export interface ParseProgressOptions {
  /** Where the bar or the lines go (stderr). */
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Label, e.g. `data file 3`. */
  label: string;
}

/** A bar when `stream` is a terminal, log lines otherwise. */
export function createParseProgress(options: ParseProgressOptions): ParseProgressDisplay {
  return options.stream.isTTY ? barProgress(options) : lineProgress(options);
}

function lineProgress({ stream, label }: ParseProgressOptions): ParseProgressDisplay {
  let last: string | undefined;
  return {
    update(p) {
      const text = `${formatNumber(round1(p.percentage))} % (${p.entriesProcessed}/${p.entriesTotal} entries)`;
      if (text === last) return;
      last = text;
      stream.write(`${label}: ${text}\n`);
    },
    stop() {},
  };
}

function barProgress({ stream, label }: ParseProgressOptions): ParseProgressDisplay {
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WriteStream,
      format: ` ${label} {bar} {value} % | {entries}/{entriesTotal} entries | {elapsed} s`,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const payload = {
        entries: p.entriesProcessed,
        entriesTotal: p.entriesTotal,
        elapsed: (p.elapsedMs / 1000).toFixed(1),
      };
      const value = round1(p.percentage);
      if (!started) {
        bar.start(100, value, payload);
        started = true;
      } else bar.update(value, payload);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

const round1 = (n: number): number => Math.round(Number(n) * 10) / 10;
