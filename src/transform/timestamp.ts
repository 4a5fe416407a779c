/**
 * ISO 8601 timestamps as the server sends them (`2026-11-25T20:27:56.922392Z`) to microseconds since
 * the epoch, UTC. `Date.parse` keeps milliseconds only and accepts loose formats; Django sends
 * microseconds, and an export should neither lose them nor guess a zone.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses an ISO 8601 date-time with a zone (`Z` or `±hh:mm`) to microseconds since 1970-01-01 UTC;
 * fractions beyond microseconds are truncated. Returns null for anything else, including impossible
 * dates such as February 30th, and date-times without a zone (their instant is unknown).
 */
export function parseTimestampMicros(text: string): number | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m;
  const y = Number(ys),
    mo = Number(mos),
    d = Number(ds),
    h = Number(hs),
    mi = Number(mis),
    s = Number(ss);
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  // setUTCFullYear, not Date.UTC: the latter maps years 0-99 to 1900-1999.
  const check = new Date(0);
  check.setUTCFullYear(y, mo - 1, d);
  check.setUTCHours(h, mi, s, 0);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return null;
  const ms = check.getTime();
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2)),
      om = Number(digits.slice(2, 4));
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const micros = frac ? Number((frac + '00000').slice(0, 6)) : 0;
  return (ms - offsetMinutes * 60_000) * 1000 + micros;
}
