/** Small pure statistics for scenario tables: no NaN for an empty list, so a table never shows one. */

/** The median (mean of the middle two for an even count); null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
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

/** Nearest-rank percentile (p in 0..100); null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p * sorted.length) / 100)) - 1] as number;
}
