import { performance } from "node:perf_hooks";
import { countOutcomes, type LoadResponse, type Op, runLoad, type TimelineBucket, timeline } from "../load/index.js";
import type { LatencySummary, LineChart, Marker, OutcomeCounts } from "../results.js";
import type { ProgressBar } from "../scenario.js";
import type { Stack } from "../topology.js";
import type { LabUser } from "../users.js";
import { round } from "./util.js";

/**
 * The pattern the fault scenarios (crash, pause, store-outage) share: open-loop
 * GET /me load on several stacks at once, spread over logged-in users, with
 * faults injected and healed at fixed times; then pure summaries of the ops.
 */

/** One stack under load, and the users whose credentials its requests take turns with. */
export interface LoadTarget {
  /** The variant's name in the report. */
  label: string;
  stack: Stack;
  users: LabUser[];
}

/** What an event sees of a target while the load runs. */
export interface LiveTarget {
  readonly label: string;
  readonly stack: Stack;
  /** Users per instance that answered them last: where sticky users are pinned right now. */
  usersByInstance(): Record<string, number>;
}

/** A fault or a heal: started `atMs` after the load started; events run independently of each other. */
export interface FaultEvent {
  atMs: number;
  /** The marker's label on the charts. */
  label: string;
  /** `elapsedMs()` is the time since the load started, for anything the event wants to time itself. */
  run(targets: readonly LiveTarget[], elapsedMs: () => number): Promise<void>;
}

/** When an event actually ran, in ms since the load started. */
export interface EventTiming {
  label: string;
  plannedMs: number;
  startedMs: number;
  doneMs: number;
}

export interface FaultLoadOptions {
  /** Requests per second, per target. */
  rate: number;
  durationMs: number;
  /** Per request, from its intended send time; longer than the proxy's upstream timeout so its 504s show. */
  timeoutMs: number;
  targets: LoadTarget[];
  events: FaultEvent[];
  progress?(label: string, total: number): ProgressBar;
}

/** Users who were answered 401 and logged in again, as a person would. */
export interface ReloginCounts {
  /** Distinct users answered 401 at least once. */
  users: number;
  /** GET /me ops answered 401. */
  unauthorized: number;
  /** ms since the load started of the first 401, or null. */
  firstAtMs: number | null;
  succeeded: number;
  failed: number;
}

export interface TargetRun {
  label: string;
  /** Every op; `t` is ms since the common start (all loads start in the same tick). */
  ops: Op[];
  relogin: ReloginCounts;
}

export interface FaultLoadRun {
  targets: TargetRun[];
  events: EventTiming[];
  intervalMs: number;
}

/** A user who keeps getting 401 stops trying after this many logins (a bound, not a model). */
const MAX_RELOGINS_PER_USER = 3;
/**
 * Logins hash with argon2 (19 MiB, t=2): a burst of them starves 2 cores, slow health
 * checks then eject healthy instances and the burst feeds itself. People do not all
 * log in at the same millisecond either; waiting users are simply not asked.
 */
const MAX_CONCURRENT_RELOGINS = 3;

/** One target's mutable state during the run: cookies, pinning, users logging in again. */
function trackTarget(target: LoadTarget, intervalMs: number) {
  const lastInstance = new Map<string, string>();
  const busy = new Set<LabUser>();
  const attempts = new Map<LabUser, number>();
  const lost = new Set<string>();
  const pending = new Set<Promise<void>>();
  const queue: LabUser[] = [];
  let running = 0;
  const relogin: ReloginCounts = { users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 };
  let cursor = 0;
  let isRunning = true;

  const pump = () => {
    while (running < MAX_CONCURRENT_RELOGINS && queue.length > 0) {
      const user = queue.shift() as LabUser;
      running++;
      const done: Promise<void> = user.login(target.stack.url).then(
        () => void relogin.succeeded++,
        () => void relogin.failed++,
      );
      const tracked = done.finally(() => {
        running--;
        busy.delete(user);
        pending.delete(tracked);
        pump();
      });
      pending.add(tracked);
    }
  };

  const startRelogin = (user: LabUser) => {
    const tries = attempts.get(user) ?? 0;
    if (!isRunning || busy.has(user) || tries >= MAX_RELOGINS_PER_USER) return;
    attempts.set(user, tries + 1);
    busy.add(user);
    queue.push(user);
    pump();
  };

  const onAnswer = (user: LabUser, i: number, res: LoadResponse): undefined => {
    const setCookie = res.headers["set-cookie"];
    if (setCookie !== undefined) user.absorb(Array.isArray(setCookie) ? setCookie : [setCookie]);
    const instance = res.headers["x-instance-id"];
    if (typeof instance === "string") lastInstance.set(user.username, instance);
    if (res.status === 401) {
      relogin.unauthorized++;
      relogin.firstAtMs ??= i * intervalMs;
      if (!lost.has(user.username)) {
        lost.add(user.username);
        relogin.users++;
      }
      startRelogin(user);
    }
    return undefined;
  };

  return {
    live: {
      label: target.label,
      stack: target.stack,
      usersByInstance() {
        const counts: Record<string, number> = {};
        for (const id of lastInstance.values()) counts[id] = (counts[id] ?? 0) + 1;
        return counts;
      },
    } satisfies LiveTarget,
    relogin,
    /** The next user that is not logging in again (any user if all are). */
    request(i: number) {
      const { users } = target;
      let user = users[cursor % users.length] as LabUser;
      for (let tries = 0; tries < users.length && busy.has(user); tries++) {
        cursor++;
        user = users[cursor % users.length] as LabUser;
      }
      cursor++;
      const picked = user;
      return {
        path: "/me",
        headers: picked.headers(),
        onResponse: (res: LoadResponse) => onAnswer(picked, i, res),
      };
    },
    async finish() {
      // Users still waiting to log in again are let go; logins already under way finish.
      isRunning = false;
      queue.length = 0;
      await Promise.all(pending);
    },
  };
}

function waitUntil(t0: number, atMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, t0 + atMs - performance.now()));
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs the same GET /me load against every target at once and the events at their
 * times. A failed event stops the load; an event whose time comes after the load
 * was stopped is skipped (nothing is started behind the scenario's back).
 */
export async function runFaultLoad(options: FaultLoadOptions): Promise<FaultLoadRun> {
  const intervalMs = 1000 / options.rate;
  const trackers = options.targets.map((target) => trackTarget(target, intervalMs));
  const controller = new AbortController();
  const errors: unknown[] = [];
  const t0 = performance.now();
  const loads = trackers.map((tracker, index) => {
    const target = options.targets[index] as LoadTarget;
    const bar = options.progress?.(target.label, Math.ceil(options.rate * (options.durationMs / 1000)));
    return runLoad({
      baseUrl: target.stack.url,
      rate: options.rate,
      durationMs: options.durationMs,
      timeoutMs: options.timeoutMs,
      // Hung requests (a paused instance) must not queue healthy ones behind them in the client.
      connections: 128,
      maxInFlight: 512,
      signal: controller.signal,
      next: (i) => tracker.request(i),
      onProgress: ({ done }) => bar?.update(done),
    }).finally(() => bar?.done());
  });
  const live = trackers.map((tracker) => tracker.live);
  const events = options.events.map(async (event): Promise<EventTiming | null> => {
    await waitUntil(t0, event.atMs, controller.signal);
    if (controller.signal.aborted) return null;
    const startedMs = performance.now() - t0;
    try {
      await event.run(live, () => round(performance.now() - t0));
    } catch (error) {
      errors.push(error);
      controller.abort();
    }
    return {
      label: event.label,
      plannedMs: event.atMs,
      startedMs: round(startedMs),
      doneMs: round(performance.now() - t0),
    };
  });
  const runs = await Promise.allSettled(loads);
  // Events still waiting are cancelled; running ones finish, so none outlives the scenario.
  controller.abort();
  const timings = await Promise.all(events);
  await Promise.all(trackers.map((tracker) => tracker.finish()));
  for (const run of runs) if (run.status === "rejected") errors.push(run.reason);
  if (errors.length > 0) throw errors[0];
  return {
    intervalMs,
    events: timings.filter((timing): timing is EventTiming => timing !== null),
    targets: runs.map((run, index) => ({
      label: options.targets[index]?.label ?? "",
      ops: run.status === "fulfilled" ? run.value.ops : [],
      relogin: { ...(trackers[index] as ReturnType<typeof trackTarget>).relogin },
    })),
  };
}

/** The instance most users were last answered by; ties (and no data) go to the second instance, then the earlier one. */
export function busiestInstance(target: LiveTarget): string {
  const counts = target.usersByInstance();
  const ids = target.stack.instances.map((instance) => instance.id);
  const fallback = ids[1] ?? ids[0] ?? "";
  return ids.reduce((best, id) => ((counts[id] ?? 0) > (counts[best] ?? 0) ? id : best), fallback);
}

// ---- pure summaries of the ops ----

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
  const sorted = ops
    .filter(waited)
    .map((op) => op.latencyMs)
    .sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(1, Math.ceil((p * sorted.length) / 100)) - 1] ?? 0;
  return { count: sorted.length, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted.at(-1) ?? 0 };
}

function summarizeWindow(ops: readonly Op[]): WindowSummary {
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
