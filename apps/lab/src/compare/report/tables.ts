import { formatDuration, formatNumber } from "../../format.js";
import type { Cell, Results, ScenarioResult, Table } from "../results.js";

/** A table cell as text; `null` (no value measured) is an em dash. */
export function formatCell(cell: Cell): string {
  if (cell === null) return "—";
  return typeof cell === "number" ? formatNumber(cell) : cell;
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
