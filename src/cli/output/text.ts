/**
 * Plain-text helpers for the table renderer: shortening a cell to a width, and printing numbers
 * the way a person reads them (no `2.0`, no 17 significant digits).
 */

/** Where a too-long cell loses characters; the end that tells values apart is kept. */
export type ShrinkAt = 'start' | 'middle' | 'end';

const ELLIPSIS = '…';

/**
 * Shortens `text` to at most `width` characters, replacing the dropped part with `…`.
 * `start` keeps the end (file paths: the file name matters), `middle` keeps both ends
 * (histogram titles share long prefixes and differ at the end), `end` keeps the start.
 */
export function truncate(text: string, width: number, at: ShrinkAt = 'end'): string {
  if (text.length <= width) return text;
  if (width <= 0) return '';
  if (width === 1) return ELLIPSIS;
  const keep = width - 1;
  if (at === 'start') return ELLIPSIS + text.slice(text.length - keep);
  if (at === 'end') return text.slice(0, keep) + ELLIPSIS;
  const head = Math.ceil(keep / 2);
  const tail = keep - head;
  return text.slice(0, head) + ELLIPSIS + (tail > 0 ? text.slice(text.length - tail) : '');
}

/** Integers as they are; other numbers with at most 6 significant digits, trailing zeros dropped. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  // Six significant digits, printed by Number's own shortest form (no exponent between 1e-7 and 1e21).
  return String(Number(n.toPrecision(6)));
}
