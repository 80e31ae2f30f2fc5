/**
 * Every number and duration the lab prints — report tables, chart axes, scenario
 * readings, the console — is formatted here, so one figure reads the same everywhere.
 */

/** Plain numbers for tables: integers as they are, other values rounded to at most 3 significant decimals. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "n/a";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  if (Number.isInteger(value)) return String(value === 0 ? 0 : value);
  const rounded = Math.abs(value) >= 1 ? Number(value.toFixed(3)) : Number(value.toPrecision(3));
  return String(rounded === 0 ? 0 : rounded);
}

/** A duration for people: "850 ms", "12.3 s", "4 min 05 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${formatNumber(Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours === 0) return `${minutes} min ${String(seconds).padStart(2, "0")} s`;
  return `${hours} h ${String(minutes).padStart(2, "0")} min`;
}

// [from, divisor, suffix]: "k" starts at 10 000 because "5000" is as short as "5k" and exact.
const SI_UNITS: Array<[number, number, string]> = [
  [1e12, 1e12, "T"],
  [1e9, 1e9, "G"],
  [1e6, 1e6, "M"],
  [1e4, 1e3, "k"],
];

/**
 * Axis tick labels that stay short whatever the magnitude: one SI unit for the whole
 * axis (so labels compare at a glance) and just enough decimals for the step.
 */
export function formatTicks(ticks: number[], step: number): string[] {
  const largest = Math.max(0, ...ticks.map((tick) => Math.abs(tick)));
  if (largest >= 1e15 || (step > 0 && step < 1e-4))
    return ticks.map((tick) => (tick === 0 ? "0" : tick.toExponential(1)));
  const [, unit, suffix] = SI_UNITS.find(([from]) => largest >= from) ?? [0, 1, ""];
  const scaledStep = step / unit;
  const decimals = scaledStep > 0 ? Math.min(6, Math.max(0, Math.ceil(-Math.log10(scaledStep) - 1e-9))) : 0;
  return ticks.map((tick) => (tick === 0 ? "0" : `${(tick / unit).toFixed(decimals)}${suffix}`));
}

/** "42.1%" — a share for a sentence or a table; "n/a" of nothing. */
export function pct(part: number, whole: number): string {
  if (whole === 0) return "n/a";
  return `${((part / whole) * 100).toFixed(part === 0 || part === whole ? 0 : 1)}%`;
}

/** Rounds a measured figure for results.json and tables: 1 decimal unless told. */
export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
