import type { ActiveFault } from "@statelab/faults";
import { relayFault } from "../../compare/fault-specs.js";
import type { LineChart, StackName } from "../../compare/results.js";
import { defineScenario } from "../../compare/scenario.js";
import { formatDuration, pct } from "../../format.js";
import { faultCell, recoveryAfterHeal } from "./cells.js";
import { type EventTiming, type ReloginCounts, runFaultLoad } from "./load.js";
import { relayedTargets, relayedVariants } from "./relayed.js";
import {
  describeErrors,
  eventAt,
  type FaultSummary,
  marker,
  summarizeFault,
  summarizeWindow,
  timelineCharts,
  type WindowSummary,
} from "./summary.js";

export interface SlowVariant {
  label: string;
  stack: StackName;
  users: number;
  /** Fault = the first delay, heal = the relay back to pass. */
  summary: FaultSummary;
  /** Ops sent while the delay was under the apps' Redis deadline, and while it was past it. */
  slow: WindowSummary;
  pastDeadline: WindowSummary;
  slowErrors: Record<string, number>;
  pastDeadlineErrors: Record<string, number>;
  relogin: ReloginCounts;
}

export interface StoreSlowObservations {
  rate: number;
  durationMs: number;
  /** Added to every client → Redis chunk by the relay (one way), first under then past the deadline. */
  delayMs: number;
  pastDeadlineDelayMs: number;
  /** The apps' per-command Redis deadline (packages/users clients.ts). */
  deadlineMs: number;
  slow: EventTiming;
  worse: EventTiming;
  heal: EventTiming;
  recoveryBoundMs: number;
  variants: SlowVariant[];
}

const variants = relayedVariants;

const ms = (value: number) => Math.round(value);
const errorsOf = (w: WindowSummary) => w.counts.fail + w.counts.unknown;
const totalOf = (w: WindowSummary) => errorsOf(w) + w.counts.ok;

/**
 * Scenario: every instance reaches Redis through a relay that adds latency, first
 * below the apps' 1 s Redis deadline, then past it. Every GET /me touches Redis
 * (the session; the denylist), so the delay shows in the p99 of both stacks; past
 * the deadline the apps answer 503 instead of hanging, and heal by themselves.
 */
export const storeSlow = defineScenario<StoreSlowObservations>({
  id: "store-slow",
  title: "Store slow: Redis latency through the fault relay",
  question: "When Redis slows down, how much slower does each stack get, and what bounds the damage?",
  estimateSeconds: (quick) => (quick ? 15 : 35),
  async run(ctx) {
    const rate = ctx.quick ? 40 : 80;
    const slowAtMs = ctx.quick ? 1_500 : 4_000;
    const worseAtMs = ctx.quick ? 4_500 : 12_000;
    const healAtMs = ctx.quick ? 6_500 : 18_000;
    const durationMs = ctx.quick ? 9_000 : 26_000;
    const delayMs = 200;
    const pastDeadlineDelayMs = 1500;
    const { relayed, targets } = await relayedTargets(ctx, variants, ctx.quick ? 10 : 20);
    const relays = relayed.flatMap((r) => r.redis);
    let fault: ActiveFault | undefined;
    ctx.log(
      `store-slow: Redis +${delayMs} ms at ${formatDuration(slowAtMs)}, +${pastDeadlineDelayMs} ms at ${formatDuration(worseAtMs)}`,
    );
    const run = await runFaultLoad({
      rate,
      durationMs,
      timeoutMs: 5000,
      targets,
      progress: ctx.progress,
      events: [
        {
          atMs: slowAtMs,
          label: `Redis +${delayMs} ms`,
          run: async () => {
            fault = await ctx.fault(
              relayFault(
                "store-slow: Redis latency",
                relays,
                { kind: "latency", ms: delayMs },
                healAtMs - slowAtMs,
                "upstream",
              ),
            );
          },
        },
        {
          atMs: worseAtMs,
          label: `+${pastDeadlineDelayMs} ms`,
          run: async () => {
            if (!fault?.isActive()) return;
            for (const relay of relays) relay.set({ kind: "latency", ms: pastDeadlineDelayMs }, "upstream");
          },
        },
        { atMs: healAtMs, label: "healed", run: async () => fault?.end() },
      ],
    });
    const slow = eventAt(run, `Redis +${delayMs} ms`, slowAtMs);
    const worse = eventAt(run, `+${pastDeadlineDelayMs} ms`, worseAtMs);
    const heal = eventAt(run, "healed", healAtMs);
    return {
      rate,
      durationMs,
      delayMs,
      pastDeadlineDelayMs,
      deadlineMs: 1000,
      slow,
      worse,
      heal,
      recoveryBoundMs: 5000,
      variants: variants.map((v, i) => {
        const ops = run.targets[i]?.ops ?? [];
        // Requests sent in the last second before the delay rose may meet the larger one.
        const slowOps = ops.filter((op) => op.t >= slow.startedMs && op.t < worse.startedMs - 1000);
        const pastOps = ops.filter((op) => op.t >= worse.startedMs && op.t < heal.startedMs);
        const kinds = (list: typeof ops) => summarizeFault(list, { faultMs: 0, healMs: 0 }).errors;
        return {
          label: v.label,
          stack: v.stack,
          users: targets[i]?.users.length ?? 0,
          summary: summarizeFault(ops, { faultMs: slow.startedMs, healMs: heal.startedMs }),
          slow: summarizeWindow(slowOps),
          pastDeadline: summarizeWindow(pastOps),
          slowErrors: kinds(slowOps),
          pastDeadlineErrors: kinds(pastOps),
          relogin: run.targets[i]?.relogin ?? { users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 },
        };
      }),
    };
  },
  measure(o) {
    const p99Chart: LineChart = {
      kind: "line",
      title: "p99 latency per second (ms, from the intended send time)",
      xLabel: "seconds since the load started",
      yLabel: "p99 ms",
      series: o.variants.map((v) => ({ label: v.label, points: v.summary.timeline.map((b) => [b.t + 0.5, b.p99]) })),
      markers: [marker(o.slow), marker(o.worse), marker(o.heal)],
    };
    const reading = o.variants.map(
      (v) =>
        `${v.label}: p99 ${ms(v.summary.before.latency.p99)} ms before, ${ms(v.slow.latency.p99)} ms with Redis +${o.delayMs} ms ` +
        `(${pct(errorsOf(v.slow), totalOf(v.slow))} errors), ${ms(v.pastDeadline.latency.p99)} ms past the ${formatDuration(o.deadlineMs)} deadline ` +
        `(${pct(errorsOf(v.pastDeadline), totalOf(v.pastDeadline))} errors: ${describeErrors(v.pastDeadlineErrors)}); ` +
        `${recoveryAfterHeal(v.summary, "the heal")}.`,
    );
    reading.push(
      `Below the deadline a slow Redis only adds its delay to every request (each GET /me reads the session or the denylist). ` +
        `Past it the apps give up after ${formatDuration(o.deadlineMs)} per command and answer 503, and their /readyz fails, so the proxy ejects them: ` +
        `the timeouts turn a hang into fast errors, and nothing had to be restarted.`,
    );
    const window = (w: WindowSummary) => `${ms(w.latency.p50)} / ${ms(w.latency.p99)}`;
    return {
      tables: [
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
      charts: [
        p99Chart,
        ...timelineCharts(
          o.variants.map((v) => ({ label: v.label, summary: v.summary })),
          [marker(o.slow), marker(o.worse), marker(o.heal)],
        ),
      ],
      reading,
      outcomes: Object.fromEntries(o.variants.map((v) => [v.label, v.summary.counts])),
      faultCells: o.variants.map((v) => ({
        ...faultCell("redis-slow", v.stack, v, recoveryAfterHeal(v.summary, "the heal")),
        errors:
          `${errorsOf(v.slow)} of ${totalOf(v.slow)} at +${o.delayMs} ms (p99 ${ms(v.summary.before.latency.p99)} → ${ms(v.slow.latency.p99)} ms); ` +
          `${errorsOf(v.pastDeadline)} of ${totalOf(v.pastDeadline)} past the deadline (p99 ${ms(v.pastDeadline.latency.p99)} ms)`,
      })),
    };
  },
  invariants(o) {
    return o.variants.flatMap((v) => [
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
    ]);
  },
});
