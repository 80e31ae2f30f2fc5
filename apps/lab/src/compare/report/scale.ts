/** Numeric helpers for chart axes; every function here returns finite numbers whatever it is given. */

// Keeps `max - min` finite even for values near Number.MAX_VALUE.
const LIMIT = 1e300;

/** Clamps into a range where differences cannot overflow; NaN becomes 0. */
export function clampFinite(value: number): number {
  if (Number.isNaN(value)) return 0;
  return Math.min(LIMIT, Math.max(-LIMIT, value));
}

export interface NiceAxis {
  min: number;
  max: number;
  step: number;
  ticks: number[];
}

function clean(value: number): number {
  const rounded = Number(value.toPrecision(12));
  return rounded === 0 ? 0 : rounded;
}

/**
 * Extends [lo, hi] to round tick values with a 1-2-5 step and about `target` intervals.
 * An empty or zero-width range still gets a usable axis instead of a division by zero.
 */
export function niceAxis(lo: number, hi: number, target = 5): NiceAxis {
  let min = clampFinite(Math.min(lo, hi));
  let max = clampFinite(Math.max(lo, hi));
  const magnitude = Math.max(Math.abs(min), Math.abs(max));
  if (max - min <= magnitude * 1e-9) {
    const pad = magnitude === 0 ? 1 : magnitude / 2;
    min = min === 0 ? 0 : min - pad;
    max += pad;
  }
  const raw = (max - min) / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const ratio = raw / power;
  const step = clean((ratio <= 1 ? 1 : ratio <= 2 ? 2 : ratio <= 5 ? 5 : 10) * power);
  const start = clean(Math.floor(min / step) * step);
  const end = clean(Math.ceil(max / step) * step);
  const count = Math.round((end - start) / step);
  const ticks = Array.from({ length: count + 1 }, (_, i) => clean(start + i * step));
  return { min: start, max: end, step, ticks };
}

/** Maps a value from `domain` to `range` linearly; a zero-width domain maps to the range's middle. */
export function linearScale(domain: [number, number], range: [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (!(Math.abs(span) > 0) || !Number.isFinite(span)) return () => (r0 + r1) / 2;
  return (value) => r0 + ((clampFinite(value) - d0) / span) * (r1 - r0);
}

/** An SVG coordinate: at most 2 decimals, never NaN or Infinity. */
export function coord(value: number): string {
  if (!Number.isFinite(value)) return "0";
  const rounded = Math.round(value * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}
