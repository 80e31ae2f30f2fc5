import type { LineChart } from "../../compare/results.js";
import { formatDuration, pct } from "../../format.js";
import type { Op } from "../../load/index.js";
import { recoveryAfterHeal } from "./cells.js";
import { defineFaultScenario, type FaultObservations, type FaultTiming, relayedStacks } from "./define.js";
import { healedRelayFault, relayedVariants } from "./relayed.js";
import { countErrorKinds, describeErrors, marker, summarizeWindow, type WindowSummary } from "./summary.js";

interface StoreSlowTiming extends FaultTiming {
  slowAtMs: number;
  worseAtMs: number;
  healAtMs: number;
}

/** Added to every client → Redis chunk by the relay (one way): under, then past the apps' Redis deadline. */
const delayMs = 200;
const pastDeadlineDelayMs = 1500;

/** What store-slow measures of a variant beyond the common summary (its fault: the first delay; its heal: back to pass). */
export interface SlowFigures {
  /** Ops sent while the delay was under the apps' Redis deadline, and while it was past it. */
  slow: WindowSummary;
  pastDeadline: WindowSummary;
  slowErrors: Record<string, number>;
  pastDeadlineErrors: Record<string, number>;
}

export type StoreSlowObservations = FaultObservations<
  "slow" | "worse" | "heal",
  SlowFigures,
  {
    delayMs: number;
    pastDeadlineDelayMs: number;
    /** The apps' per-command Redis deadline (packages/backend clients.ts). */
    deadlineMs: number;
    recoveryBoundMs: number;
  }
>;
export type SlowVariant = StoreSlowObservations["variants"][number];

const ms = (value: number) => Math.round(value);
const errorsOf = (w: WindowSummary) => w.counts.fail + w.counts.unknown;
const totalOf = (w: WindowSummary) => errorsOf(w) + w.counts.ok;
const window = (w: WindowSummary) => `${ms(w.latency.p50)} / ${ms(w.latency.p99)}`;

/** Sentences of the reading, each a function of the observations. */
export const storeSlowReading = {
  perStack: (o: StoreSlowObservations) =>
    o.variants.map(
      (v) =>
        `${v.label}: p99 ${ms(v.summary.before.latency.p99)} ms before, ${ms(v.slow.latency.p99)} ms with Redis +${o.delayMs} ms ` +
        `(${pct(errorsOf(v.slow), totalOf(v.slow))} errors), ${ms(v.pastDeadline.latency.p99)} ms past the ${formatDuration(o.deadlineMs)} deadline ` +
        `(${pct(errorsOf(v.pastDeadline), totalOf(v.pastDeadline))} errors: ${describeErrors(v.pastDeadlineErrors)}); ` +
        `${recoveryAfterHeal(v.summary, "the heal")}.`,
    ),
  deadline: (o: StoreSlowObservations) =>
    `Below the deadline a slow Redis only adds its delay to every request (each GET /me reads the session or the denylist). ` +
    `Past it the apps give up after ${formatDuration(o.deadlineMs)} per command and answer 503, and their /readyz fails, so the proxy ejects them: ` +
    `the timeouts turn a hang into fast errors, and nothing had to be restarted.`,
};

/**
 * Scenario: every instance reaches Redis through a relay that adds latency, first
 * below the apps' 1 s Redis deadline, then past it. Every GET /me touches Redis
 * (the session; the denylist), so the delay shows in the p99 of both stacks; past
 * the deadline the apps answer 503 instead of hanging, and heal by themselves.
 */
export const storeSlow = defineFaultScenario({
  id: "store-slow",
  title: "Store slow: Redis latency through the fault relay",
  question: "When Redis slows down, how much slower does each stack get, and what bounds the damage?",
  fault: "redis-slow",
  timing: {
    quick: {
      rate: 40,
      durationMs: 9_000,
      slowAtMs: 1_500,
      worseAtMs: 4_500,
      healAtMs: 6_500,
      usersPerStack: 10,
      estimateSeconds: 15,
    },
    full: {
      rate: 80,
      durationMs: 26_000,
      slowAtMs: 4_000,
      worseAtMs: 12_000,
      healAtMs: 18_000,
      usersPerStack: 20,
      estimateSeconds: 35,
    },
  } satisfies Record<"quick" | "full", StoreSlowTiming>,
  variants: relayedVariants,
  prepare: relayedStacks(),
  events: [
    { key: "slow", label: `Redis +${delayMs} ms`, at: (t: StoreSlowTiming) => t.slowAtMs },
    { key: "worse", label: `+${pastDeadlineDelayMs} ms`, at: (t: StoreSlowTiming) => t.worseAtMs },
    { key: "heal", label: "healed", at: (t: StoreSlowTiming) => t.healAtMs },
  ],
  describe: (t) =>
    `Redis +${delayMs} ms at ${formatDuration(t.slowAtMs)}, +${pastDeadlineDelayMs} ms at ${formatDuration(t.worseAtMs)}`,
  start({ ctx, timing, state: relayed }) {
    const relays = relayed.flatMap((r) => r.redis);
    const slowness = healedRelayFault(ctx, {
      name: "store-slow: Redis latency",
      relays,
      fault: { kind: "latency", ms: delayMs },
      safetyMs: timing.healAtMs - timing.slowAtMs,
      direction: "upstream",
    });
    return {
      actions: {
        slow: () => slowness.start(),
        worse: async () => {
          if (!slowness.isActive()) return;
          for (const relay of relays) relay.set({ kind: "latency", ms: pastDeadlineDelayMs }, "upstream");
        },
        // The heal's own time is the event's: nothing to wait for.
        heal: async (_live, elapsedMs) => {
          await slowness.heal(elapsedMs);
        },
      },
      phases: (e) => ({ faultMs: e.slow.startedMs, healMs: e.heal.startedMs }),
      observe(_i, ops, e): SlowFigures {
        // Requests sent in the last second before the delay rose may meet the larger one.
        const slowOps = ops.filter((op) => op.t >= e.slow.startedMs && op.t < e.worse.startedMs - 1000);
        const pastOps = ops.filter((op: Op) => op.t >= e.worse.startedMs && op.t < e.heal.startedMs);
        return {
          slow: summarizeWindow(slowOps),
          pastDeadline: summarizeWindow(pastOps),
          slowErrors: countErrorKinds(slowOps),
          pastDeadlineErrors: countErrorKinds(pastOps),
        };
      },
      extras: () => ({ delayMs, pastDeadlineDelayMs, deadlineMs: 1000, recoveryBoundMs: 5000 }),
    };
  },
  tables: (o) => [
    {
      caption:
        `Redis +${o.delayMs} ms at ${formatDuration(o.slow.startedMs)}, +${o.pastDeadlineDelayMs} ms at ${formatDuration(o.worse.startedMs)}, ` +
        `healed at ${formatDuration(o.heal.startedMs)}; ${o.rate} GET /me per second per stack`,
      columns: [
        "variant",
        "p50 / p99 before (ms)",
        `p50 / p99 at +${o.delayMs} ms`,
        `errors at +${o.delayMs} ms`,
        `p50 / p99 at +${o.pastDeadlineDelayMs} ms`,
        `errors at +${o.pastDeadlineDelayMs} ms`,
        "after the heal",
        "users logged out",
      ],
      rows: o.variants.map((v) => [
        v.label,
        window(v.summary.before),
        window(v.slow),
        `${errorsOf(v.slow)} of ${totalOf(v.slow)}`,
        window(v.pastDeadline),
        `${errorsOf(v.pastDeadline)} of ${totalOf(v.pastDeadline)} (${describeErrors(v.pastDeadlineErrors)})`,
        recoveryAfterHeal(v.summary, "the heal"),
        v.relogin.users,
      ]),
    },
  ],
  charts: (o): LineChart[] => [
    {
      kind: "line",
      title: "p99 latency per second (ms, from the intended send time)",
      xLabel: "seconds since the load started",
      yLabel: "p99 ms",
      series: o.variants.map((v) => ({ label: v.label, points: v.summary.timeline.map((b) => [b.t + 0.5, b.p99]) })),
      markers: [marker(o.slow), marker(o.worse), marker(o.heal)],
    },
  ],
  reading: [storeSlowReading.perStack, storeSlowReading.deadline],
  invariants: (o) =>
    o.variants.flatMap((v) => [
      {
        name: `${v.label}: Redis +${o.delayMs} ms stays under the deadline (≥ 99% ok)`,
        holds: totalOf(v.slow) > 0 && v.slow.counts.ok >= 0.99 * totalOf(v.slow),
        detail: `${v.slow.counts.ok} of ${totalOf(v.slow)} ok (${describeErrors(v.slowErrors)})`,
      },
      {
        name: `${v.label}: the delay shows in every request (p50 ≥ ${o.delayMs} ms while slow)`,
        holds: v.slow.latency.p50 >= o.delayMs,
        detail: `p50 ${ms(v.slow.latency.p50)} ms, before ${ms(v.summary.before.latency.p50)} ms`,
      },
      {
        name: `${v.label}: past the deadline nothing hangs (p99 < 3 s)`,
        holds: v.pastDeadline.latency.count > 0 && v.pastDeadline.latency.p99 < 3000,
        detail: `p99 ${ms(v.pastDeadline.latency.p99)} ms over ${v.pastDeadline.latency.count} requests`,
      },
      {
        name: `${v.label}: recovers within ${formatDuration(o.recoveryBoundMs)} of the heal, without a restart`,
        holds: (v.summary.lastErrorAfterHealMs ?? 0) <= o.recoveryBoundMs && v.summary.after.counts.ok > 0,
        detail: recoveryAfterHeal(v.summary, "the heal"),
      },
    ]),
  cell: (v, o) => ({
    recovery: recoveryAfterHeal(v.summary, "the heal"),
    errors:
      `${errorsOf(v.slow)} of ${totalOf(v.slow)} at +${o.delayMs} ms (p99 ${ms(v.summary.before.latency.p99)} → ${ms(v.slow.latency.p99)} ms); ` +
      `${errorsOf(v.pastDeadline)} of ${totalOf(v.pastDeadline)} past the deadline (p99 ${ms(v.pastDeadline.latency.p99)} ms)`,
  }),
});
