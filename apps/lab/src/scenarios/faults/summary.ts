import type { LatencySummary, LineChart, Marker, OutcomeCounts } from "../../compare/results.js";
import { round } from "../../format.js";
import { countOutcomes, type Op, type TimelineBucket, timeline } from "../../load/index.js";
import { percentiles } from "../../stats.js";
import type { EventTiming, FaultLoadRun } from "./load.js";

/**
 * Pure summaries of the ops a fault load (fault-load.ts) recorded: the figures,
 * charts and markers crash, pause and store-outage report.
 */

export interface WindowSummary {
  counts: OutcomeCounts;
  /** Over ops that got an answer or timed out (a hang must show), from their intended send time. */
  latency: LatencySummary;
}

/** Everything the fault scenarios keep of one target's ops (small enough for results.json). */
export interface FaultSummary {
  counts: OutcomeCounts;
  /** 1 s buckets by intended send time. */
  timeline: TimelineBucket[];
  /** [0, fault), [fault, heal), [heal, end]. */
  before: WindowSummary;
  during: WindowSummary;
  after: WindowSummary;
  /** Ops that were not ok, by "status code" ("503 store_unavailable", "no answer timeout"). */
  errors: Record<string, number>;
  /** ms from the fault to the first / last op scheduled in [fault, heal) that was not ok; null when none. */
  firstErrorDuringFaultMs: number | null;
  lastErrorDuringFaultMs: number | null;
  /** ms from the heal to the last op scheduled at or after it that was not ok; null when none. */
  lastErrorAfterHealMs: number | null;
}

/** What a marker time means for an op: `t` at or after it. */
export interface Phases {
  faultMs: number;
  healMs: number;
}

const waited = (op: Op) => op.status > 0 || op.code === "timeout";
const isError = (op: Op) => op.outcome !== "ok";

/** Nearest-rank percentiles, like `latency` in ../load, but counting timed-out ops with the time they waited. */
export function windowLatency(ops: readonly Op[]): LatencySummary {
  return percentiles(ops.filter(waited).map((op) => op.latencyMs));
}

/** Counts and latency of the ops in one window. */
export function summarizeWindow(ops: readonly Op[]): WindowSummary {
  return { counts: countOutcomes(ops), latency: windowLatency(ops) };
}

/** The key an error is counted under: status (or "no answer") and code. */
export function errorKind(op: Op): string {
  return `${op.status > 0 ? op.status : "no answer"} ${op.code ?? "-"}`;
}

/** Ops that were not ok, counted by `errorKind`. */
export function countErrorKinds(ops: readonly Op[]): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const op of ops) if (isError(op)) errors[errorKind(op)] = (errors[errorKind(op)] ?? 0) + 1;
  return errors;
}

/** The first whole timeline second starting at or after `fromMs` with no error, in ms after `fromMs`; null if none. */
export function firstCleanSecondAfter(timeline: readonly TimelineBucket[], fromMs: number): number | null {
  const clean = timeline.find((b) => b.t * 1000 >= fromMs && b.fail + b.unknown === 0);
  return clean === undefined ? null : round(clean.t * 1000 - fromMs);
}

/** ms from `fromMs` to the latest op at or after it that matches; null when none does. */
export function lastMatchingAfter(ops: readonly Op[], fromMs: number, matches: (op: Op) => boolean): number | null {
  let last: number | null = null;
  for (const op of ops) {
    if (op.t >= fromMs && matches(op) && (last === null || op.t - fromMs > last)) last = op.t - fromMs;
  }
  return last === null ? null : round(last);
}

function firstMatchingAfter(ops: readonly Op[], fromMs: number, matches: (op: Op) => boolean): number | null {
  let first: number | null = null;
  for (const op of ops) {
    if (op.t >= fromMs && matches(op) && (first === null || op.t - fromMs < first)) first = op.t - fromMs;
  }
  return first === null ? null : round(first);
}

/** Pure: the figures every fault scenario reports for one target. */
export function summarizeFault(ops: readonly Op[], phases: Phases): FaultSummary {
  const duringFault = ops.filter((op) => op.t >= phases.faultMs && op.t < phases.healMs);
  return {
    counts: countOutcomes(ops),
    timeline: timeline(ops, 1000).map((bucket) => ({ ...bucket, p99: round(bucket.p99) })),
    before: summarizeWindow(ops.filter((op) => op.t < phases.faultMs)),
    during: summarizeWindow(duringFault),
    after: summarizeWindow(ops.filter((op) => op.t >= phases.healMs)),
    errors: countErrorKinds(ops),
    firstErrorDuringFaultMs: firstMatchingAfter(duringFault, phases.faultMs, isError),
    lastErrorDuringFaultMs: lastMatchingAfter(duringFault, phases.faultMs, isError),
    lastErrorAfterHealMs: lastMatchingAfter(ops, phases.healMs, isError),
  };
}

/** The event that ran under `label`, or a stand-in at its planned time (an event skipped by an abort). */
export function eventAt(run: FaultLoadRun, label: string, plannedMs: number): EventTiming {
  return (
    run.events.find((event) => event.label === label) ?? { label, plannedMs, startedMs: plannedMs, doneMs: plannedMs }
  );
}

/** The two line charts every fault scenario shows: ok answers and errors per second, with the fault markers. */
export function timelineCharts(
  variants: ReadonlyArray<{ label: string; summary: FaultSummary }>,
  markers: Marker[],
): [LineChart, LineChart] {
  const line = (title: string, yLabel: string, y: (b: TimelineBucket) => number): LineChart => ({
    kind: "line",
    title,
    xLabel: "seconds since the load started",
    yLabel,
    // Each 1 s bucket is drawn at its middle, so a drop lines up with the marker that caused it.
    series: variants.map((v) => ({ label: v.label, points: v.summary.timeline.map((b) => [b.t + 0.5, y(b)]) })),
    markers,
  });
  return [
    line("ok requests per second", "ok answers / s", (b) => b.rps),
    line("errors per second (fail + unknown)", "errors / s", (b) => b.fail + b.unknown),
  ];
}

/** "503 store_unavailable × 12, no answer timeout × 3" — the error kinds, most frequent first. */
export function describeErrors(errors: Record<string, number>): string {
  const entries = Object.entries(errors).sort(([, a], [, b]) => b - a);
  return entries.length === 0 ? "none" : entries.map(([kind, n]) => `${kind} × ${n}`).join(", ");
}

/** Markers in seconds, as the charts want them. */
export function marker(timing: EventTiming): Marker {
  return { x: round(timing.startedMs / 1000, 2), label: timing.label };
}
