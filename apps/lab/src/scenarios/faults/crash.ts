import { formatDuration, pct } from "../../format.js";
import type { StackSpec } from "../../stack/stack.js";
import { recoveryAfterHeal } from "./cells.js";
import { defineFaultScenario, type FaultObservations, type FaultTiming, ownStacks } from "./define.js";
import { busiestInstance } from "./load.js";
import { describeErrors, lastMatchingAfter } from "./summary.js";

type Store = "redis" | "memory" | "jwt";

interface CrashTiming extends FaultTiming {
  killAtMs: number;
  /** After ~40% of the run, leaving time to see the instance rejoin. */
  restartAtMs: number;
}

/** What crash measures of a variant beyond the common summary. */
export interface CrashFigures {
  /** Which kind of variant, for the invariants: sessions in Redis, in process memory, or JWTs. */
  store: Store;
  /** The instance killed: the one most users were last answered by. */
  victim: string;
  /** Users whose last answer before the kill came from the victim (pinned to it, when sticky). */
  usersOnVictim: number;
  /** ms since the load started when the restarted victim answered /readyz; null if it did not. */
  backMs: number | null;
  /**
   * ms from the kill to the last op between the kill and the restart that failed with
   * anything but 401 (the failover: retries, ejection); null when none. 401s are lost
   * sessions, counted in `relogin`.
   */
  failoverErrorMs: number | null;
}

export type CrashObservations = FaultObservations<
  "kill" | "restart",
  CrashFigures,
  {
    /** Errors must have stopped this long after the kill: health fall 2 × 500 ms, one retry, and margin. */
    errorBoundMs: number;
  }
>;
export type CrashVariant = CrashObservations["variants"][number];

const variants = [
  { label: "stateful, Redis store", stack: "stateful", store: "redis", spec: { app: "stateful", label: "stateful" } },
  {
    label: "stateful, memory store",
    stack: "stateful",
    store: "memory",
    spec: { app: "stateful", label: "sf-memory", env: { SESSION_STORE: "memory" } },
  },
  { label: "stateless", stack: "stateless", store: "jwt", spec: { app: "stateless", label: "stateless" } },
] as const satisfies ReadonlyArray<{ label: string; stack: "stateful" | "stateless"; store: Store; spec: StackSpec }>;

const errors = (v: CrashVariant) => v.summary.counts.fail + v.summary.counts.unknown;
const total = (v: CrashVariant) => v.summary.counts.ok + errors(v);
const kept = (o: CrashObservations) => o.variants.filter((v) => v.store !== "memory");
const afterKill = (ms: number | null) => (ms === null ? "no errors" : formatDuration(ms));

/** Sentences of the reading, each a function of the observations. */
export const crashReading = {
  keptSessions(o: CrashObservations) {
    const lost = kept(o).filter((v) => v.relogin.users > 0);
    return lost.length === 0
      ? `Killing one of three instances logged nobody out where the session outlives the process: ` +
          `${kept(o)
            .map((v) => `${v.label} 0 of ${v.users} users`)
            .join(", ")} had to log in again.`
      : `Unexpectedly, users had to log in again although the session does not live in the killed process: ` +
          `${lost.map((v) => `${v.label} ${v.relogin.users} of ${v.users}`).join(", ")}.`;
  },
  memoryStore(o: CrashObservations) {
    const memory = o.variants.find((v) => v.store === "memory");
    if (!memory) return null;
    if (memory.relogin.users === 0) {
      return `The memory store lost no user this run, although ${memory.usersOnVictim} users were last served by the killed ${memory.victim}.`;
    }
    const failedLogins = memory.relogin.failed > 0 ? `, ${memory.relogin.failed} of those logins failing` : "";
    const extra =
      memory.relogin.users > memory.usersOnVictim
        ? ` That is ${memory.relogin.users - memory.usersOnVictim} more than the killed instance served: users re-pinned to an instance that did not know them (e.g. one wrongly ejected as unhealthy) lost their session too.`
        : "";
    return (
      `With the memory store the sessions died with the process: ${memory.relogin.users} of ${memory.users} users ` +
      `(${memory.usersOnVictim} were last served by ${memory.victim}) got 401 and logged in again${failedLogins}.${extra}`
    );
  },
  failures(o: CrashObservations) {
    const worst = o.variants.reduce<CrashVariant | null>(
      (a, v) => ((v.failoverErrorMs ?? -1) > (a?.failoverErrorMs ?? -1) ? v : a),
      null,
    );
    const failed = o.variants.map((v) => `${v.label} ${errors(v)} of ${total(v)}`).join(", ");
    const relogging = o.variants.filter((v) => v.relogin.users > 0 && v.summary.lastErrorDuringFaultMs !== null);
    const failover =
      worst === null || worst.failoverErrorMs === null
        ? " Between the kill and the restart none failed other than with 401: the proxy retries a GET whose connection died, and ejects the dead instance."
        : ` The last failure other than a 401 after the kill was scheduled ${formatDuration(worst.failoverErrorMs)} after it (${worst.label}), ` +
          `${worst.failoverErrorMs <= o.errorBoundMs ? "within" : "beyond"} the ${formatDuration(o.errorBoundMs)} bound.`;
    const unauthorized =
      relogging.length > 0
        ? ` Counting the 401s of users logging in again, errors lasted until ${relogging.map((v) => `${formatDuration(v.summary.lastErrorDuringFaultMs ?? 0)} after the kill (${v.label})`).join(", ")}.`
        : "";
    return `Requests not ok over the whole run: ${failed}.${failover}${unauthorized}`;
  },
  restart(o: CrashObservations) {
    const backs = o.variants.filter((v) => v.backMs !== null).map((v) => (v.backMs as number) - o.restart.startedMs);
    if (backs.length === 0) return null;
    const late = o.variants.filter((v) => v.backMs === null || v.backMs > o.durationMs);
    const where = late.length === o.variants.length ? "on every stack" : `for ${late.map((v) => v.label).join(", ")}`;
    return (
      `A restart took ${formatDuration(Math.min(...backs))}–${formatDuration(Math.max(...backs))} until the instance answered /readyz` +
      (late.length > 0
        ? ` — ${where} only after the load had ended, so the charts do not show it rejoin.`
        : `; the proxy adds it back after 2 passing health checks.`)
    );
  },
};

/**
 * Scenario: kill -9 one instance under load, restart it later. Where the session
 * lives decides what the crash costs: nothing with Redis or a JWT, a fresh login
 * for every user pinned to the dead process with the memory store.
 */
export const crash = defineFaultScenario({
  id: "crash",
  title: "Crash: kill -9 one instance under load",
  question: "What does losing one instance mid-traffic cost: failed requests, and users who must log in again?",
  fault: "crash",
  timing: {
    quick: {
      rate: 60,
      durationMs: 12_000,
      killAtMs: 2_000,
      restartAtMs: 4_800,
      usersPerStack: 15,
      estimateSeconds: 45,
    },
    full: {
      rate: 100,
      durationMs: 30_000,
      killAtMs: 5_000,
      restartAtMs: 12_000,
      usersPerStack: 30,
      estimateSeconds: 70,
    },
  } satisfies Record<"quick" | "full", CrashTiming>,
  timeoutMs: 4000,
  variants,
  // Fresh stacks: this scenario kills one of their instances.
  prepare: ownStacks({ spec: (v) => ({ ...v.spec, fresh: true }) }),
  events: [
    { key: "kill", label: "kill -9", at: (t: CrashTiming) => t.killAtMs },
    { key: "restart", label: "restart", at: (t: CrashTiming) => t.restartAtMs },
  ],
  describe: (t) => `kill -9 at ${formatDuration(t.killAtMs)}, restart at ${formatDuration(t.restartAtMs)}`,
  start() {
    const killed = new Map<string, { victim: string; usersOnVictim: number }>();
    const back = new Map<string, number>();
    return {
      actions: {
        kill: async (targets) => {
          await Promise.all(
            targets.map((target) => {
              const victim = busiestInstance(target);
              killed.set(target.label, { victim, usersOnVictim: target.usersByInstance()[victim] ?? 0 });
              return target.stack.instance(victim).child.crash();
            }),
          );
        },
        restart: async (targets, elapsedMs) => {
          await Promise.all(
            targets.map(async (target) => {
              const victim = killed.get(target.label)?.victim;
              if (victim === undefined) return;
              await target.stack.instance(victim).child.restart();
              back.set(target.label, elapsedMs());
            }),
          );
        },
      },
      phases: (e) => ({ faultMs: e.kill.startedMs, healMs: e.restart.startedMs }),
      observe(i, ops, e): CrashFigures {
        const v = variants[i] as (typeof variants)[number];
        return {
          store: v.store,
          victim: killed.get(v.label)?.victim ?? "",
          usersOnVictim: killed.get(v.label)?.usersOnVictim ?? 0,
          backMs: back.get(v.label) ?? null,
          failoverErrorMs: lastMatchingAfter(
            ops.filter((op) => op.t < e.restart.startedMs),
            e.kill.startedMs,
            (op) => op.outcome !== "ok" && op.status !== 401,
          ),
        };
      },
      extras: () => ({ errorBoundMs: 3000 }),
    };
  },
  tables: (o) => [
    {
      caption:
        `kill -9 at ${formatDuration(o.kill.startedMs)}, restart at ${formatDuration(o.restart.startedMs)}; ` +
        `${o.rate} GET /me per second per stack for ${formatDuration(o.durationMs)}`,
      columns: [
        "variant",
        "killed",
        "users on it",
        "requests",
        "failed / unknown",
        "users logged out (401)",
        "errors until (after kill)",
        "non-401 errors until",
        "ready after restart",
        "errors after restart",
      ],
      rows: o.variants.map((v) => [
        v.label,
        v.victim,
        `${v.usersOnVictim} of ${v.users}`,
        total(v),
        `${v.summary.counts.fail} / ${v.summary.counts.unknown}`,
        v.relogin.users,
        afterKill(v.summary.lastErrorDuringFaultMs),
        afterKill(v.failoverErrorMs),
        v.backMs === null ? "not back" : formatDuration(v.backMs - o.restart.startedMs),
        v.summary.lastErrorAfterHealMs === null ? "none" : `until +${formatDuration(v.summary.lastErrorAfterHealMs)}`,
      ]),
    },
    {
      caption: "Requests that were not ok, by status and code",
      columns: ["variant", "error rate", "errors", "re-logins ok", "re-logins failed"],
      rows: o.variants.map((v) => [
        v.label,
        pct(errors(v), total(v)),
        describeErrors(v.summary.errors),
        v.relogin.succeeded,
        v.relogin.failed,
      ]),
    },
  ],
  reading: [crashReading.keptSessions, crashReading.memoryStore, crashReading.failures, crashReading.restart],
  invariants: (o) => [
    ...kept(o).map((v) => ({
      name: `no session lost on a crash: ${v.label}`,
      holds: v.relogin.users === 0,
      detail: `${v.relogin.users} of ${v.users} users answered 401 (${v.relogin.unauthorized} requests)`,
    })),
    ...o.variants
      .filter((v) => v.store === "memory")
      .map((v) => ({
        name: `the memory store loses the crashed instance's users`,
        holds: v.relogin.users > 0,
        detail: `${v.relogin.users} of ${v.users} users answered 401; ${v.usersOnVictim} were last served by ${v.victim}`,
      })),
    ...o.variants.map((v) => {
      const last = v.failoverErrorMs;
      return {
        name: `errors stop within ${formatDuration(o.errorBoundMs)} of the kill (401s of lost sessions apart): ${v.label}`,
        holds: (last === null || last <= o.errorBoundMs) && v.summary.counts.ok > 0,
        detail:
          last === null
            ? `no error but 401 between the kill and the restart (${v.summary.during.counts.ok} ok)`
            : `last error ${formatDuration(last)} after the kill`,
      };
    }),
  ],
  // The memory store is this scenario's extra: the matrix compares the default stacks.
  cell: (v) =>
    v.store === "memory"
      ? null
      : {
          recovery: `non-401 errors until ${v.failoverErrorMs === null ? "none" : formatDuration(v.failoverErrorMs)} after the kill; ${recoveryAfterHeal(v.summary, "the restart")}`,
        },
});
