// Row ranges as PostgREST computes them from limit/offset, the Range header and max_rows: closed
// integer intervals [lower, upper], infinite ends allowed, empty when lower > upper. "limit=0" is
// the one empty range that is allowed: [0, -1].

export interface Range {
  lower: number;
  upper: number;
}

export const rangeAll: Range = { lower: 0, upper: Infinity };
export const rangeLimitZero: Range = { lower: 0, upper: -1 };

export const rangeAtLeast = (lower: number): Range => ({ lower, upper: Infinity });

export function rangeIntersect(a: Range, b: Range): Range {
  return { lower: Math.max(a.lower, b.lower), upper: Math.min(a.upper, b.upper) };
}

export const rangeIsEmpty = (r: Range) => r.lower > r.upper;

export const rangeEquals = (a: Range, b: Range) =>
  (rangeIsEmpty(a) && rangeIsEmpty(b)) || (a.lower === b.lower && a.upper === b.upper);

export const rangeOffset = (r: Range) => r.lower;

/** The number of rows, or null when the range is open-ended. */
export function rangeLimit(r: Range): number | null {
  return Number.isFinite(r.lower) && Number.isFinite(r.upper) ? 1 + r.upper - r.lower : null;
}

export const hasLimitZero = (r: Range) => r.upper === -1;

export function restrictRange(maxRows: number | null, r: Range): Range {
  if (maxRows === null) return r;
  return rangeIntersect(r, { lower: -Infinity, upper: rangeOffset(r) + maxRows - 1 });
}

/** `limit=0` stays itself instead of whatever it was intersected with. */
export function keepLimitZero(range: Range, fallback: Range): Range {
  return hasLimitZero(range) ? rangeLimitZero : fallback;
}

/** The Range request header ("0-9", "10-"), or everything when absent or malformed. */
export function parseRangeHeader(value: string | null): Range {
  const match = value?.match(/^([0-9]+)-([0-9]*)$/);
  if (!match) return rangeAll;
  const lower = rangeAtLeast(Number(match[1]));
  const upper = match[2] === "" ? rangeAll : { lower: -Infinity, upper: Number(match[2]) };
  return rangeIntersect(lower, upper);
}

/** Content-Range and the status it implies (200, 206, or 416 past the end). */
export function contentRange(
  topLevel: Range,
  pageTotal: number,
  total: number | null,
): { status: number; header: string } {
  const lower = rangeOffset(topLevel);
  const upper = lower + pageTotal - 1;
  const rangeText = total !== 0 && lower <= upper ? `${lower}-${upper}` : "*";
  const header = `${rangeText}/${total === null ? "*" : total}`;
  if (total === null) return { status: 200, header };
  if (lower > total) return { status: 416, header };
  if (1 + upper - lower < total) return { status: 206, header };
  return { status: 200, header };
}
