/** Python-compatible rendering: repr(float), round(x, 1), and CPython json error messages. */
import { describe, expect, it } from 'vitest';
import { pyFloat, pyRoundOneDecimal, pythonJsonErrorMessage } from '../../src/tables/pyjson.js';

describe('pyFloat', () => {
  // Expected values printed by CPython 3.11 repr().
  it.each([
    [0, '0.0'],
    [-0, '-0.0'],
    [2, '2.0'],
    [1e16, '1e+16'],
    [1.5e16, '1.5e+16'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [123456789012345680, '1.2345678901234568e+17'],
    [0.1, '0.1'],
    [-26.7, '-26.7'],
    [0.0054035186767578125, '0.0054035186767578125'],
    [5e-324, '5e-324'],
    [100 / 3, '33.333333333333336'],
    [1e15 + 0.5, '1000000000000000.5'],
  ])('%s -> %s', (x, text) => expect(pyFloat(x)).toBe(text));
});

describe('pyRoundOneDecimal', () => {
  it.each([
    [65, 50, '1.3'],
    [1, 50, '0.0'],
    [250, 50, '5.0'],
    [3, 50, '0.1'],
    [1, 4, '0.2'],
    [3, 4, '0.8'],
    [5, 4, '1.2'],
    [1, 20, '0.1'],
    [0, 50, '0.0'],
  ])('round(%i / %i, 1) -> %s', (total, per, text) => expect(pyRoundOneDecimal(total, per)).toBe(text));
});

describe('pythonJsonErrorMessage', () => {
  it.each([
    ['{"granularity": ', 'Expecting value: line 1 column 17 (char 16)'],
    ['', 'Expecting value: line 1 column 1 (char 0)'],
    ['{', 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'],
    ['{"a"', "Expecting ':' delimiter: line 1 column 5 (char 4)"],
    ['{"a":1', "Expecting ',' delimiter: line 1 column 7 (char 6)"],
    ['[1,]', 'Expecting value: line 1 column 4 (char 3)'],
    ['"abc', 'Unterminated string starting at: line 1 column 1 (char 0)'],
    ['{"a":1} x', 'Extra data: line 1 column 9 (char 8)'],
    ['"\\q"', 'Invalid \\escape: line 1 column 2 (char 1)'],
    [' \n {"a": \n x}', 'Expecting value: line 3 column 2 (char 11)'],
    ['NaN', 'Out of range float values are not JSON compliant'],
  ])('%j -> %s', (text, message) => expect(pythonJsonErrorMessage(text)).toBe(message));

  it('accepts valid JSON', () =>
    expect(pythonJsonErrorMessage(' {"a": [1, 2.5e3, "x\\u00e9", null, true]} ')).toBeUndefined());
});
