import { describe, expect, it } from 'vitest';
import { AXIS_FIELDS, histogramAxes } from '../src/domain.js';

describe('histogramAxes', () => {
  it('copies the binning of a 2D record and nothing else', () => {
    const record = { id: 7, title: 't', x_min: -1, x_max: 1, x_bin: 4, y_min: -2, y_max: 2, y_bin: 3, data: [[0]] };
    expect(histogramAxes(record)).toEqual({ x_min: -1, x_max: 1, x_bin: 4, y_min: -2, y_max: 2, y_bin: 3 });
  });

  it('gives null y fields for a 1D record, and one key per axis field', () => {
    const axes = histogramAxes({ x_min: 0, x_max: 10, x_bin: 10 });
    expect(axes).toEqual({ x_min: 0, x_max: 10, x_bin: 10, y_min: null, y_max: null, y_bin: null });
    expect(Object.keys(axes)).toEqual([...AXIS_FIELDS]);
  });
});
