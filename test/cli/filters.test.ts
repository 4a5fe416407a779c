import { describe, expect, it } from 'vitest';
import { levenshtein, parseFilterArgs, suggestFilters } from '../../src/cli/query/filters.js';
import { FILTERS, encodeFilters } from '../../src/domain.js';
import { UsageError } from '../../src/errors.js';

describe('parseFilterArgs', () => {
  it('parses every kind into what encodeFilters sends', () => {
    const f = parseFilterArgs('lumisection_histograms_1d', [
      'lumisection__run__run_number__in=315488, 315713',
      'lumisection__ls_number__gte=3',
      'title=NormalizedHitResiduals_TEC__wheel__8',
      'title=NormalizedHitResiduals_TEC__wheel__9',
      'source_data_file__filepath__contains=1D_2',
    ]);
    expect(f).toEqual({
      lumisection__run__run_number__in: [315488, 315713],
      lumisection__ls_number__gte: 3,
      title: ['NormalizedHitResiduals_TEC__wheel__8', 'NormalizedHitResiduals_TEC__wheel__9'],
      source_data_file__filepath__contains: '1D_2',
    });
    expect(encodeFilters(f).toString()).toBe(
      'lumisection__ls_number__gte=3&lumisection__run__run_number__in=315488%2C315713&source_data_file__filepath__contains=1D_2' +
        '&title=NormalizedHitResiduals_TEC__wheel__8&title=NormalizedHitResiduals_TEC__wheel__9',
    );
  });

  it('keeps = inside a value and parses bool and choice filters', () => {
    expect(
      parseFilterArgs('histogram_data_files', [
        'filepath__contains=a=b',
        'processing_complete=TRUE',
        'data_dimensionality=2',
      ]),
    ).toEqual({
      filepath__contains: 'a=b',
      processing_complete: true,
      data_dimensionality: '2',
    });
  });

  it('returns no filters for no arguments', () => {
    expect(parseFilterArgs('runs', [])).toEqual({});
  });

  // (endpoint, arguments, code, message pattern)
  const bad: [keyof typeof FILTERS, string[], string, RegExp][] = [
    ['runs', ['run_number'], 'E_FILTER_SYNTAX', /--filter expects key=value, got "run_number"/],
    ['runs', ['=3'], 'E_FILTER_SYNTAX', /key=value/],
    ['runs', ['run_number=abc'], 'E_FILTER_VALUE', /filter run_number of runs expects an integer, got "abc"/],
    ['runs', ['run_number=1.5'], 'E_FILTER_VALUE', /expects an integer/],
    [
      'runs',
      ['run_number=1', 'run_number=2'],
      'E_FILTER_REPEATED',
      /filter run_number given twice; only title and order_by may repeat/,
    ],
    [
      'lumisection_histograms_1d',
      ['lumisection__run__run_number__in=315488,abc'],
      'E_FILTER_VALUE',
      /comma-separated integers/,
    ],
    ['lumisection_histograms_1d', ['lumisection__ls_number__in='], 'E_FILTER_VALUE', /comma-separated integers/],
    ['lumisection_histograms_1d', ['title='], 'E_FILTER_VALUE', /a non-empty value/],
    ['histogram_data_files', ['granularity=lumi'], 'E_FILTER_VALUE', /one of lum, run/],
    ['histogram_data_files', ['processing_complete=yes'], 'E_FILTER_VALUE', /true or false/],
    [
      'lumisection_histograms_2d',
      ['run=315705'],
      'E_FILTER_UNKNOWN',
      /^unknown filter run for lumisection_histograms_2d \(did you mean lumisection__run__run_number or .*\?\); valid filters are: lumisection__run__run_number, /,
    ],
    ['lumisection_histograms_2d', ['titel=x'], 'E_FILTER_UNKNOWN', /did you mean title\?/],
    [
      'lumisections',
      ['run_number=1'],
      'E_FILTER_UNKNOWN',
      /unknown filter run_number for lumisections \(did you mean run or ls_number\?\)/,
    ],
    [
      'runs',
      ['zzzzzzzz=1'],
      'E_FILTER_UNKNOWN',
      /^unknown filter zzzzzzzz for runs; valid filters are: run_number, run_date/,
    ],
  ];
  it.each(bad)('%s %j -> %s', (endpoint, args, code, message) => {
    let err: unknown;
    try {
      parseFilterArgs(endpoint, args);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe(code);
    expect((err as UsageError).message).toMatch(message);
  });
});

describe('suggestFilters', () => {
  it('finds typos and segment matches, at most three', () => {
    expect(suggestFilters('lumisection__run__run_numbr', Object.keys(FILTERS.lumisection_histograms_1d))[0]).toBe(
      'lumisection__run__run_number',
    );
    expect(suggestFilters('entries', Object.keys(FILTERS.lumisection_histograms_1d))).toEqual([
      'entries__gte',
      'entries__lte',
    ]);
    expect(suggestFilters('run', Object.keys(FILTERS.lumisection_histograms_1d))).toHaveLength(3);
  });
  it('levenshtein', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });
});
