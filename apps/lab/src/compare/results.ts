/**
 * What a comparison run produces: plain JSON, written as results.json. The
 * report (markdown and HTML) is rendered from this and nothing else, so every
 * number a reader sees was computed by a scenario, never by the view.
 */

export type StackName = "stateful" | "stateless";

/**
 * Jepsen-style outcome of one operation: `ok` (2xx, or the answer the scenario
 * expected), `fail` (a definite error answer or a refused connection), `unknown`
 * (timed out or cut mid-flight: whether it took effect is not known).
 */
export type Outcome = "ok" | "fail" | "unknown";

export interface OutcomeCounts {
  ok: number;
  fail: number;
  unknown: number;
}

/** Milliseconds, measured from each request's intended send time (no coordinated omission). */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export type Cell = string | number | null;

export interface Table {
  caption: string;
  columns: string[];
  rows: Cell[][];
}

export interface LineSeries {
  label: string;
  /** [x, y] pairs, x ascending. */
  points: Array<[number, number]>;
}

/** A vertical marker on a line chart: a fault injected, a fault healed. */
export interface Marker {
  x: number;
  label: string;
}

export interface LineChart {
  kind: "line";
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  markers: Marker[];
}

export interface BarChart {
  kind: "bar";
  title: string;
  yLabel: string;
  /** One group of bars per category (x axis). */
  categories: string[];
  /** One bar per series inside each group; `values[i]` belongs to `categories[i]`. */
  series: Array<{ label: string; values: number[] }>;
  /** Stack the series instead of placing them side by side (e.g. per-instance shares). */
  stacked: boolean;
}

export type Chart = LineChart | BarChart;

/** A claim the scenario checks on its own numbers; the integration suite asserts these. */
export interface Invariant {
  name: string;
  holds: boolean;
  detail: string;
}

/** The faults of the matrix (../shared/SECURITY.md), in its order. */
export const matrixFaults = [
  "crash",
  "pause",
  "redis-down",
  "redis-slow",
  "postgres-down",
  "proxy-restart",
  "partition",
  "clock-skew",
] as const;
export type MatrixFault = (typeof matrixFaults)[number];

/** What one fault measurably did to one stack in this run: one cell of the fault matrix. */
export interface FaultCell {
  fault: MatrixFault;
  stack: StackName;
  /** "12 of 600 (503 store_unavailable × 12)". */
  errors: string;
  /** "0.8 s after the heal", "no errors", "not within the run". */
  recovery: string;
  /** "0 of 15 users", or what else was lost (accepted revoked tokens). */
  lost: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** The question the scenario answers, in one sentence. */
  question: string;
  startedAt: string;
  durationMs: number;
  tables: Table[];
  charts: Chart[];
  /** Plain-language sentences generated from this run's numbers. */
  reading: string[];
  invariants: Invariant[];
  /** Every operation counted, per variant (e.g. "stateful via proxy"). */
  outcomes: Record<string, OutcomeCounts>;
  /** The raw figures behind the tables, for anyone post-processing results.json. */
  data: Record<string, unknown>;
  /** This scenario's cells of the fault matrix (fault scenarios only). */
  faultCells?: FaultCell[];
  /** Set when the scenario could not run to the end; the rest is what it had. */
  error?: string;
}

/** What a scenario that measured nothing shows: no table, chart, sentence, claim or count. */
export const nothingMeasured = (): Pick<
  ScenarioResult,
  "tables" | "charts" | "reading" | "invariants" | "outcomes" | "data"
> => ({ tables: [], charts: [], reading: [], invariants: [], outcomes: {}, data: {} });

export interface RunEnvironment {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  redis: string;
  commit: string;
  quick: boolean;
}

export interface Results {
  version: 1;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  environment: RunEnvironment;
  scenarios: ScenarioResult[];
  /** Every fault × both stacks, from the fault scenarios that ran; absent when none did. */
  faultMatrix?: Table;
}
