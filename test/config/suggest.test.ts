/** did-you-mean: typos, transpositions, related filter names, and no noise. */
import { describe, expect, it } from 'vitest';
import { didYouMean, levenshtein, suggest } from '../../src/config/index.js';
import { FILTERS } from '../../src/domain.js';

describe('levenshtein', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['titel', 'title', 1],
    ['prdo', 'prod', 1],
    ['tranform', 'transform', 1],
  ])('%s / %s = %i', (a, b, d) => {
    expect(levenshtein(a, b)).toBe(d);
    expect(levenshtein(b, a)).toBe(d);
  });
});

describe('suggest', () => {
  const histogram = Object.keys(FILTERS.lumisection_histograms_2d);

  it('finds typos', () => {
    expect(suggest('tranform', ['name', 'transform', 'output'])).toEqual(['transform']);
    expect(suggest('titel', histogram)).toEqual(['title']);
    expect(suggest('entries_gte', histogram)).toEqual(['entries__gte']);
  });

  it('prefers a case-insensitive match alone', () => {
    expect(suggest('Lumisection_Histograms_2D', ['lumisection_histograms_1d', 'lumisection_histograms_2d'])).toEqual([
      'lumisection_histograms_2d',
    ]);
  });

  it('relates a bare name to the filters that contain it as a segment', () => {
    expect(suggest('run', histogram)[0]).toBe('lumisection__run__run_number');
    expect(suggest('ls_number', histogram)[0]).toBe('lumisection__ls_number');
  });

  it('stays quiet when nothing is close, and for one-character choices', () => {
    expect(suggest('zzz', histogram)).toEqual([]);
    expect(suggest('3', ['1', '2'])).toEqual([]);
    expect(didYouMean('completely-different', ['nested', 'flat', 'tensor'])).toBe('');
  });

  it('words the hint', () => {
    expect(didYouMean('tensr', ['nested', 'flat', 'tensor'])).toBe(' (did you mean "tensor"?)');
  });
});
