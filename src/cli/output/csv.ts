/**
 * RFC 4180 CSV encoding of single rows. Nested values (histogram `data`, data file `contents`) are
 * written as one JSON string cell, so a CSV reader gets every value back losslessly.
 */

/** Value of one CSV cell before encoding. */
export type CsvValue = string | number | boolean | null | undefined | object;

/** Encodes one cell: quoted when it holds a comma, quote, CR or LF; objects and arrays as JSON. */
export function csvField(value: CsvValue): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Encodes one row, CRLF-free: lines end with `\n` (what every CSV reader we target accepts). */
export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',') + '\n';
}
