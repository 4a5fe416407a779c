/** The progress bar's numbers as a pure function: planned totals, not a total that grows with the work. */
import { describe, expect, it } from 'vitest';
import { formatEta, progressView } from '../../src/cli/ui/progress-model.js';

describe('progressView', () => {
  it('with a plan, the bar moves over the planned records and the ETA follows the mean rate', () => {
    expect(progressView({ planned: 200, done: 0, finished: false, elapsedMs: 0 })).toEqual({
      value: 0,
      total: 200,
      percentage: 0,
      etaSeconds: null,
      planned: true,
    });
    // 54 of 200 records in 10 s: 146 left at 5.4 rec/s.
    expect(progressView({ planned: 200, done: 54, finished: false, elapsedMs: 10_000 })).toEqual({
      value: 54,
      total: 200,
      percentage: 27,
      etaSeconds: 27,
      planned: true,
    });
    expect(progressView({ planned: 200, done: 199, finished: false, elapsedMs: 10_000 }).percentage).toBe(99);
  });

  it('never shows 100 % before the end, even with three streams still to go', () => {
    // The case: 54 records seen, the plan says 240 in all.
    const view = progressView({ planned: 240, done: 54, finished: false, elapsedMs: 1000 });
    expect(view.percentage).toBeLessThan(100);
    expect(view.etaSeconds).toBeGreaterThan(0);
  });

  it('a plan that undercounted (the data grew) stretches to what was seen', () => {
    expect(progressView({ planned: 100, done: 120, finished: false, elapsedMs: 1000 })).toMatchObject({
      total: 120,
      percentage: 100,
      etaSeconds: 0,
    });
  });

  it('without a plan the total follows what was seen, and says so', () => {
    expect(progressView({ planned: null, done: 54, finished: false, elapsedMs: 1000 })).toEqual({
      value: 54,
      total: 54,
      percentage: 100,
      etaSeconds: null,
      planned: false,
    });
    expect(progressView({ planned: 0, done: 0, finished: false, elapsedMs: 0 })).toMatchObject({
      total: 0,
      percentage: 0,
      planned: false,
    });
  });

  it('at the end the bar is full, whatever the plan said (a resumed run skips committed slices)', () => {
    expect(progressView({ planned: 240, done: 180, finished: true, elapsedMs: 5000 })).toEqual({
      value: 180,
      total: 180,
      percentage: 100,
      etaSeconds: 0,
      planned: true,
    });
    expect(progressView({ planned: null, done: 0, finished: true, elapsedMs: 5 })).toMatchObject({
      percentage: 100,
      etaSeconds: 0,
    });
  });
});

describe('formatEta', () => {
  it.each([
    [null, '?'],
    [0, '0s'],
    [42, '42s'],
    [65, '1m05s'],
    [3600, '60m00s'],
  ])('%s -> %s', (s, text) => expect(formatEta(s)).toBe(text));
});
