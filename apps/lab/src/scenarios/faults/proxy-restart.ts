import type { StackName } from "../../compare/results.js";
import { defineScenario, type StackSpec } from "../../compare/scenario.js";
import { formatDuration } from "../../format.js";
import { faultCell, recoveryAfterHeal } from "./cells.js";
import { type EventTiming, prepareTargets, type ReloginCounts, runFaultLoad } from "./load.js";
import { describeErrors, eventAt, type FaultSummary, marker, summarizeFault, timelineCharts } from "./summary.js";

export interface ProxyRestartVariant {
  label: string;
  stack: StackName;
  /** Sessions in process memory: only sticky routing by cookie keeps them reachable. */
  memory: boolean;
  users: number;
  /** ms since the load started when the new proxy answered its health check. */
  backMs: number | null;
  summary: FaultSummary;
  relogin: ReloginCounts;
}

export interface ProxyRestartObservations {
  rate: number;
  durationMs: number;
  restart: EventTiming;
  /** Errors must end this long after the new proxy answers: it probes the instances once before sending. */
  recoveryBoundMs: number;
  variants: ProxyRestartVariant[];
}

/** The stacks other scenarios share: a proxy restart leaves them as they were. */
const variants: Array<{ label: string; stack: StackName; memory: boolean; spec: StackSpec }> = [
  { label: "stateful, Redis store", stack: "stateful", memory: false, spec: { app: "stateful", label: "stateful" } },
  {
    label: "stateful, memory store, sticky",
    stack: "stateful",
    memory: true,
    spec: { app: "stateful", label: "sf-memory", env: { SESSION_STORE: "memory" } },
  },
  { label: "stateless", stack: "stateless", memory: false, spec: { app: "stateless", label: "stateless" } },
];

/**
 * Scenario: restart the proxy (SIGTERM, start again) under load. The proxy keeps
 * no per-user state — the sticky cookie names the instance, as HAProxy's does —
 * so a new proxy process routes every user as the old one did: connections are
 * reset, nobody is logged out, not even users whose session lives in one process.
 */
export const proxyRestart = defineScenario<ProxyRestartObservations>({
  id: "proxy-restart",
  title: "Proxy restart under load",
  question: "What does restarting the proxy cost, when it holds no per-user state (fate sharing)?",
  estimateSeconds: (quick) => (quick ? 12 : 25),
  async run(ctx) {
    const rate = ctx.quick ? 30 : 60;
    const restartAtMs = ctx.quick ? 2_000 : 4_000;
    const durationMs = ctx.quick ? 8_000 : 16_000;
    const targets = await prepareTargets(ctx, variants, ctx.quick ? 10 : 20);
    const back = new Map<string, number>();
    ctx.log(`proxy-restart: ${rate} GET /me/s per stack, proxies restarted at ${formatDuration(restartAtMs)}`);
    const run = await runFaultLoad({
      rate,
      durationMs,
      timeoutMs: 5000,
      targets,
      progress: ctx.progress,
      events: [
        {
          atMs: restartAtMs,
          label: "proxy restart",
          run: async (live, elapsedMs) => {
            await Promise.all(
              live.map(async (target) => {
                await target.stack.proxy.restart();
                back.set(target.label, elapsedMs());
              }),
            );
          },
        },
      ],
    });
    const restart = eventAt(run, "proxy restart", restartAtMs);
    return {
      rate,
      durationMs,
      restart,
      recoveryBoundMs: 3000,
      variants: variants.map((v, i) => {
        const backMs = back.get(v.label) ?? null;
        return {
          label: v.label,
          stack: v.stack,
          memory: v.memory,
          users: targets[i]?.users.length ?? 0,
          backMs,
          summary: summarizeFault(run.targets[i]?.ops ?? [], {
            faultMs: restart.startedMs,
            healMs: backMs ?? restart.doneMs,
          }),
          relogin: run.targets[i]?.relogin ?? { users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 },
        };
      }),
    };
  },
  measure(o) {
    const downFor = (v: ProxyRestartVariant) =>
      v.backMs === null ? "not back" : formatDuration(v.backMs - o.restart.startedMs);
    const recovery = (v: ProxyRestartVariant) =>
      `proxy back after ${downFor(v)}; ${recoveryAfterHeal(v.summary, "it was back")}`;
    const memory = o.variants.find((v) => v.memory);
    return {
      tables: [
        {
          caption: `${o.rate} GET /me per second per stack; every proxy restarted at ${formatDuration(o.restart.startedMs)}`,
          columns: ["variant", "proxy down for", "errors", "after it was back", "users logged out"],
          rows: o.variants.map((v) => [
            v.label,
            downFor(v),
            describeErrors(v.summary.errors),
            recoveryAfterHeal(v.summary, "it was back"),
            `${v.relogin.users} of ${v.users}`,
          ]),
        },
      ],
      charts: timelineCharts(
        o.variants.map((v) => ({ label: v.label, summary: v.summary })),
        [marker(o.restart)],
      ),
      reading: [
        ...o.variants.map(
          (v) =>
            `${v.label}: the proxy was down for ${downFor(v)}; requests meanwhile failed (${describeErrors(v.summary.errors)}); ` +
            `${v.relogin.users} of ${v.users} users were logged out.`,
        ),
        memory
          ? `Even the memory store (${memory.relogin.users} users lost) survives a proxy restart: the sticky cookie, not the proxy's memory, says which instance holds the session, so the new proxy sends every user back to it. The proxy shares no fate with any user; a crash of an instance does (see crash).`
          : "The proxy keeps no per-user state, so a new proxy process serves every user as the old one did.",
      ],
      outcomes: Object.fromEntries(o.variants.map((v) => [v.label, v.summary.counts])),
      faultCells: o.variants.filter((v) => !v.memory).map((v) => faultCell("proxy-restart", v.stack, v, recovery(v))),
    };
  },
  invariants(o) {
    return o.variants.flatMap((v) => [
      {
        name: `no session lost on proxy restart: ${v.label}`,
        holds: v.relogin.users === 0,
        detail: `${v.relogin.users} of ${v.users} users answered 401 (${v.relogin.unauthorized} requests)`,
      },
      {
        name: `errors end within ${formatDuration(o.recoveryBoundMs)} of the new proxy answering: ${v.label}`,
        holds: v.backMs !== null && (v.summary.lastErrorAfterHealMs ?? 0) <= o.recoveryBoundMs,
        detail: `proxy back after ${v.backMs === null ? "never" : formatDuration(v.backMs - o.restart.startedMs)}; ${recoveryAfterHeal(v.summary, "it was back")}`,
      },
    ]);
  },
});
