import { formatDuration } from "../../format.js";
import { recoveryAfterHeal } from "./cells.js";
import { defineFaultScenario, type FaultObservations, type FaultTiming, ownStacks } from "./define.js";
import { describeErrors } from "./summary.js";

interface ProxyRestartTiming extends FaultTiming {
  restartAtMs: number;
}

/** What proxy-restart measures of a variant beyond the common summary. */
export interface ProxyRestartFigures {
  /** Sessions in process memory: only sticky routing by cookie keeps them reachable. */
  memory: boolean;
  /** ms since the load started when the new proxy answered its health check. */
  backMs: number | null;
}

export type ProxyRestartObservations = FaultObservations<
  "restart",
  ProxyRestartFigures,
  {
    /** Errors must end this long after the new proxy answers: it probes the instances once before sending. */
    recoveryBoundMs: number;
  }
>;
export type ProxyRestartVariant = ProxyRestartObservations["variants"][number];

/** The stacks other scenarios share: a proxy restart leaves them as they were. */
const variants = [
  { label: "stateful, Redis store", stack: "stateful", memory: false, spec: { app: "stateful", label: "stateful" } },
  {
    label: "stateful, memory store, sticky",
    stack: "stateful",
    memory: true,
    spec: { app: "stateful", label: "sf-memory", env: { SESSION_STORE: "memory" } },
  },
  { label: "stateless", stack: "stateless", memory: false, spec: { app: "stateless", label: "stateless" } },
] as const;

const downFor = (o: ProxyRestartObservations, v: ProxyRestartVariant) =>
  v.backMs === null ? "not back" : formatDuration(v.backMs - o.restart.startedMs);

/** Sentences of the reading, each a function of the observations. */
export const proxyRestartReading = {
  costs: (o: ProxyRestartObservations) =>
    o.variants.map(
      (v) =>
        `${v.label}: the proxy was down for ${downFor(o, v)}; requests meanwhile failed (${describeErrors(v.summary.errors)}); ` +
        `${v.relogin.users} of ${v.users} users were logged out.`,
    ),
  fateSharing(o: ProxyRestartObservations) {
    const memory = o.variants.find((v) => v.memory);
    return memory
      ? `Even the memory store (${memory.relogin.users} users lost) survives a proxy restart: the sticky cookie, not the proxy's memory, says which instance holds the session, so the new proxy sends every user back to it. The proxy shares no fate with any user; a crash of an instance does (see crash).`
      : "The proxy keeps no per-user state, so a new proxy process serves every user as the old one did.";
  },
};

/**
 * Scenario: restart the proxy (SIGTERM, start again) under load. The proxy keeps
 * no per-user state — the sticky cookie names the instance, as HAProxy's does —
 * so a new proxy process routes every user as the old one did: connections are
 * reset, nobody is logged out, not even users whose session lives in one process.
 */
export const proxyRestart = defineFaultScenario({
  id: "proxy-restart",
  title: "Proxy restart under load",
  question: "What does restarting the proxy cost, when it holds no per-user state (fate sharing)?",
  fault: "proxy-restart",
  timing: {
    quick: { rate: 30, durationMs: 8_000, restartAtMs: 2_000, usersPerStack: 10, estimateSeconds: 12 },
    full: { rate: 60, durationMs: 16_000, restartAtMs: 4_000, usersPerStack: 20, estimateSeconds: 25 },
  } satisfies Record<"quick" | "full", ProxyRestartTiming>,
  variants,
  prepare: ownStacks(),
  events: [{ key: "restart", label: "proxy restart", at: (t: ProxyRestartTiming) => t.restartAtMs }],
  describe: (t) => `proxies restarted at ${formatDuration(t.restartAtMs)}`,
  start() {
    const back = new Map<string, number>();
    const backOf = (i: number) => back.get(variants[i]?.label ?? "") ?? null;
    return {
      actions: {
        restart: async (live, elapsedMs) => {
          await Promise.all(
            live.map(async (target) => {
              await target.stack.proxy.restart();
              back.set(target.label, elapsedMs());
            }),
          );
        },
      },
      // Each stack's fault ends when its own new proxy answered.
      phases: (e, i) => ({ faultMs: e.restart.startedMs, healMs: backOf(i) ?? e.restart.doneMs }),
      observe: (i): ProxyRestartFigures => ({ memory: variants[i]?.memory ?? false, backMs: backOf(i) }),
      extras: () => ({ recoveryBoundMs: 3000 }),
    };
  },
  tables: (o) => [
    {
      caption: `${o.rate} GET /me per second per stack; every proxy restarted at ${formatDuration(o.restart.startedMs)}`,
      columns: ["variant", "proxy down for", "errors", "after it was back", "users logged out"],
      rows: o.variants.map((v) => [
        v.label,
        downFor(o, v),
        describeErrors(v.summary.errors),
        recoveryAfterHeal(v.summary, "it was back"),
        `${v.relogin.users} of ${v.users}`,
      ]),
    },
  ],
  reading: [proxyRestartReading.costs, proxyRestartReading.fateSharing],
  invariants: (o) =>
    o.variants.flatMap((v) => [
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
    ]),
  // The memory store is this scenario's extra: the matrix compares the default stacks.
  cell: (v, o) =>
    v.memory ? null : { recovery: `proxy back after ${downFor(o, v)}; ${recoveryAfterHeal(v.summary, "it was back")}` },
});
