import type { Cell, Results, ScenarioResult, Table } from "../results.js";

/** Plain numbers for tables: integers as they are, other values rounded to at most 3 significant decimals. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "n/a";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  if (Number.isInteger(value)) return String(value === 0 ? 0 : value);
  const rounded = Math.abs(value) >= 1 ? Number(value.toFixed(3)) : Number(value.toPrecision(3));
  return String(rounded === 0 ? 0 : rounded);
}

/** A table cell as text; `null` (no value measured) is an em dash. */
export function formatCell(cell: Cell): string {
  if (cell === null) return "—";
  return typeof cell === "number" ? formatNumber(cell) : cell;
}

/** A duration for people: "850 ms", "12.3 s", "4 min 05 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "n/a";
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

/** How a scenario ended, as the summary shows it: an error wins over failed invariants. */
export interface ScenarioStatus {
  kind: "ok" | "failed" | "error";
  held: number;
  total: number;
}

/** Counts the invariants that held; a scenario with an `error` is an error whatever its invariants say. */
export function scenarioStatus(scenario: ScenarioResult): ScenarioStatus {
  const held = scenario.invariants.filter((invariant) => invariant.holds).length;
  const total = scenario.invariants.length;
  const kind = scenario.error !== undefined ? "error" : held < total ? "failed" : "ok";
  return { kind, held, total };
}

/** A table padded so every row has as many cells as the widest row or the header, whichever is wider. */
export function tableShape(table: Table): { columns: string[]; rows: Cell[][]; numeric: boolean[] } {
  const width = Math.max(table.columns.length, ...table.rows.map((row) => row.length));
  const columns = Array.from({ length: width }, (_, i) => table.columns[i] ?? "");
  const rows = table.rows.map((row) => Array.from({ length: width }, (_, i) => row[i] ?? null));
  // Right-align a column only when it holds numbers and nothing but numbers (or gaps).
  const numeric = columns.map(
    (_, i) =>
      rows.some((row) => typeof row[i] === "number") &&
      rows.every((row) => row[i] === null || typeof row[i] === "number"),
  );
  return { columns, rows, numeric };
}

/** The run's environment as label/value pairs, in the order both report formats show them. */
export function environmentRows(results: Results): Array<[string, string]> {
  const env = results.environment;
  return [
    ["CPUs", `${formatNumber(env.cpus)} × ${env.cpuModel}`],
    ["Memory", `${formatNumber(env.memoryGiB)} GiB`],
    ["OS", env.os],
    ["Node.js", env.node],
    ["PostgreSQL", env.postgres],
    ["Redis", env.redis],
    ["Commit", env.commit],
    ["Mode", env.quick ? "quick" : "full"],
    ["Started", results.startedAt],
    ["Finished", results.finishedAt],
    ["Duration", formatDuration(results.durationMs)],
  ];
}
