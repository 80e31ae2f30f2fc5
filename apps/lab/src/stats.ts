/**
 * The lab's statistics, in one place: every median, percentile and latency summary a
 * scenario, the load driver or the dashboard reports comes from here. Nearest-rank
 * percentiles (the value a reader can find in the data); no NaN for an empty list.
 */

/** Nearest rank over `sorted` (ascending): the smallest value with at least p% of the values ≤ it; null for none. */
export function percentileOfSorted(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  // p × n is an exact integer product, so the ceiling is not thrown off by float error.
  return sorted[Math.max(1, Math.ceil((p * sorted.length) / 100)) - 1] as number;
}

/** Nearest-rank percentile (p in 0..100); null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  return percentileOfSorted(sortedCopy(values), p);
}

/** Count, p50, p90, p99 and max of `values`; all zeros for none (a table cell, never NaN). */
export function percentiles(values: readonly number[]): {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
} {
  const sorted = sortedCopy(values);
  const at = (p: number) => percentileOfSorted(sorted, p) ?? 0;
  return { count: sorted.length, p50: at(50), p90: at(90), p99: at(99), max: sorted.at(-1) ?? 0 };
}

/** The median (mean of the middle two for an even count); null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = sortedCopy(values);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

/** The largest value; null for no values. */
export function maxOf(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((max, value) => Math.max(max, value), Number.NEGATIVE_INFINITY);
}

/** The smallest value; null for no values. */
export function minOf(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((min, value) => Math.min(min, value), Number.POSITIVE_INFINITY);
}

/** The arithmetic mean; null for no values. */
export function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}
