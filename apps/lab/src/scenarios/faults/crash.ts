import { defineScenario, type StackSpec } from "../../compare/scenario.js";
import { formatDuration, pct } from "../../format.js";
import { faultCell, recoveryAfterHeal } from "./cells.js";
import { busiestInstance, type EventTiming, prepareTargets, type ReloginCounts, runFaultLoad } from "./load.js";
import {
  describeErrors,
  eventAt,
  type FaultSummary,
  lastMatchingAfter,
  marker,
  summarizeFault,
  timelineCharts,
} from "./summary.js";

export interface CrashVariant {
  label: string;
  /** Which kind of variant, for the invariants: sessions in Redis, in process memory, or JWTs. */
  store: "redis" | "memory" | "jwt";
  users: number;
  /** The instance killed: the one most users were last answered by. */
  victim: string;
  /** Users whose last answer before the kill came from the victim (pinned to it, when sticky). */
  usersOnVictim: number;
  /** ms since the load started when the restarted victim answered /readyz; null if it did not. */
  backMs: number | null;
  summary: FaultSummary;
  /**
   * ms from the kill to the last op between the kill and the restart that failed with
   * anything but 401 (the failover: retries, ejection); null when none. 401s are lost
   * sessions, counted in `relogin`.
   */
  failoverErrorMs: number | null;
  relogin: ReloginCounts;
}

export interface CrashObservations {
  rate: number;
  durationMs: number;
  kill: EventTiming;
  restart: EventTiming;
  /** Errors must have stopped this long after the kill: health fall 2 × 500 ms, one retry, and margin. */
  errorBoundMs: number;
  variants: CrashVariant[];
}

const variants: Array<{ label: string; store: CrashVariant["store"]; spec: StackSpec }> = [
  { label: "stateful, Redis store", store: "redis", spec: { app: "stateful", label: "stateful", fresh: true } },
  {
    label: "stateful, memory store",
    store: "memory",
    spec: { app: "stateful", label: "sf-memory", env: { SESSION_STORE: "memory" }, fresh: true },
  },
  { label: "stateless", store: "jwt", spec: { app: "stateless", label: "stateless", fresh: true } },
];

const errors = (v: CrashVariant) => v.summary.counts.fail + v.summary.counts.unknown;
const total = (v: CrashVariant) => v.summary.counts.ok + errors(v);

/**
 * Scenario: kill -9 one instance under load, restart it later. Where the session
 * lives decides what the crash costs: nothing with Redis or a JWT, a fresh login
 * for every user pinned to the dead process with the memory store.
 */
export const crash = defineScenario<CrashObservations>({
  id: "crash",
  title: "Crash: kill -9 one instance under load",
  question: "What does losing one instance mid-traffic cost: failed requests, and users who must log in again?",
  estimateSeconds: (quick) => (quick ? 45 : 70),
  async run(ctx) {
    const rate = ctx.quick ? 60 : 100;
    const durationMs = ctx.quick ? 12_000 : 30_000;
    const killAtMs = ctx.quick ? 2_000 : 5_000;
    // The restart comes after ~40% of the run, leaving time to see the instance rejoin.
    const restartAtMs = Math.round(durationMs * 0.4);
    const usersPerStack = ctx.quick ? 15 : 30;
    const setupStarted = Date.now();
    const loadTargets = await prepareTargets(ctx, variants, usersPerStack);
    ctx.log(
      `crash: ${loadTargets.length} fresh stacks and their users ready in ${formatDuration(Date.now() - setupStarted)}`,
    );
    const killed = new Map<string, { victim: string; usersOnVictim: number }>();
    const back = new Map<string, number>();
    ctx.log(
      `crash: ${rate} GET /me/s per stack for ${formatDuration(durationMs)}, kill -9 at ${formatDuration(killAtMs)}`,
    );
    const run = await runFaultLoad({
      rate,
      durationMs,
      timeoutMs: 4000,
      targets: loadTargets,
      progress: ctx.progress,
      events: [
        {
          atMs: killAtMs,
          label: "kill -9",
          run: async (targets) => {
            await Promise.all(
              targets.map((target) => {
                const victim = busiestInstance(target);
                killed.set(target.label, { victim, usersOnVictim: target.usersByInstance()[victim] ?? 0 });
                return target.stack.instance(victim).child.crash();
              }),
            );
          },
        },
        {
          atMs: restartAtMs,
          label: "restart",
          run: async (targets, elapsedMs) => {
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
      ],
    });
    const kill = eventAt(run, "kill -9", killAtMs);
    const restart = eventAt(run, "restart", restartAtMs);
    return {
      rate,
      durationMs,
      kill,
      restart,
      errorBoundMs: 3000,
      variants: variants.map((v, i) => ({
        label: v.label,
        store: v.store,
        users: loadTargets[i]?.users.length ?? 0,
        victim: killed.get(v.label)?.victim ?? "",
        usersOnVictim: killed.get(v.label)?.usersOnVictim ?? 0,
        backMs: back.get(v.label) ?? null,
        summary: summarizeFault(run.targets[i]?.ops ?? [], { faultMs: kill.startedMs, healMs: restart.startedMs }),
        failoverErrorMs: lastMatchingAfter(
          (run.targets[i]?.ops ?? []).filter((op) => op.t < restart.startedMs),
          kill.startedMs,
          (op) => op.outcome !== "ok" && op.status !== 401,
        ),
        relogin: run.targets[i]?.relogin ?? { users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 },
      })),
    };
  },
  measure(o) {
    const afterKill = (ms: number | null) => (ms === null ? "no errors" : formatDuration(ms));
    const rows = o.variants.map((v) => [
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
    ]);
    const reading: string[] = [];
    const kept = o.variants.filter((v) => v.store !== "memory");
    const memory = o.variants.find((v) => v.store === "memory");
    const keptLost = kept.filter((v) => v.relogin.users > 0);
    if (keptLost.length === 0) {
      reading.push(
        `Killing one of three instances logged nobody out where the session outlives the process: ` +
          `${kept.map((v) => `${v.label} 0 of ${v.users} users`).join(", ")} had to log in again.`,
      );
    } else {
      reading.push(
        `Unexpectedly, users had to log in again although the session does not live in the killed process: ` +
          `${keptLost.map((v) => `${v.label} ${v.relogin.users} of ${v.users}`).join(", ")}.`,
      );
    }
    if (memory) {
      reading.push(
        memory.relogin.users > 0
          ? `With the memory store the sessions died with the process: ${memory.relogin.users} of ${memory.users} users ` +
              `(${memory.usersOnVictim} were last served by ${memory.victim}) got 401 and logged in again` +
              `${memory.relogin.failed > 0 ? `, ${memory.relogin.failed} of those logins failing` : ""}.` +
              (memory.relogin.users > memory.usersOnVictim
                ? ` That is ${memory.relogin.users - memory.usersOnVictim} more than the killed instance served: users re-pinned to an instance that did not know them (e.g. one wrongly ejected as unhealthy) lost their session too.`
                : "")
          : `The memory store lost no user this run, although ${memory.usersOnVictim} users were last served by the killed ${memory.victim}.`,
      );
    }
    const worst = o.variants.reduce<CrashVariant | null>(
      (a, v) => ((v.failoverErrorMs ?? -1) > (a?.failoverErrorMs ?? -1) ? v : a),
      null,
    );
    const failed = o.variants.map((v) => `${v.label} ${errors(v)} of ${total(v)}`).join(", ");
    const lateBacks = o.variants.filter((v) => v.backMs === null || v.backMs > o.durationMs);
    const relogging = o.variants.filter((v) => v.relogin.users > 0 && v.summary.lastErrorDuringFaultMs !== null);
    reading.push(
      `Requests not ok over the whole run: ${failed}.` +
        (worst === null || worst.failoverErrorMs === null
          ? " Between the kill and the restart none failed other than with 401: the proxy retries a GET whose connection died, and ejects the dead instance."
          : ` The last failure other than a 401 after the kill was scheduled ${formatDuration(worst.failoverErrorMs)} after it (${worst.label}), ` +
            `${worst.failoverErrorMs <= o.errorBoundMs ? "within" : "beyond"} the ${formatDuration(o.errorBoundMs)} bound.`) +
        (relogging.length > 0
          ? ` Counting the 401s of users logging in again, errors lasted until ${relogging.map((v) => `${formatDuration(v.summary.lastErrorDuringFaultMs ?? 0)} after the kill (${v.label})`).join(", ")}.`
          : ""),
    );
    const backs = o.variants.filter((v) => v.backMs !== null).map((v) => (v.backMs as number) - o.restart.startedMs);
    if (backs.length > 0) {
      reading.push(
        `A restart took ${formatDuration(Math.min(...backs))}–${formatDuration(Math.max(...backs))} until the instance answered /readyz` +
          (lateBacks.length > 0
            ? ` — ${lateBacks.length === o.variants.length ? "on every stack" : `for ${lateBacks.map((v) => v.label).join(", ")}`} only after the load had ended, so the charts do not show it rejoin.`
            : `; the proxy adds it back after 2 passing health checks.`),
      );
    }
    return {
      tables: [
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
          rows,
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
      charts: timelineCharts(
        o.variants.map((v) => ({ label: v.label, summary: v.summary })),
        [marker(o.kill), marker(o.restart)],
      ),
      reading,
      outcomes: Object.fromEntries(o.variants.map((v) => [v.label, v.summary.counts])),
      faultCells: o.variants
        .filter((v) => v.store !== "memory")
        .map((v) =>
          faultCell(
            "crash",
            v.store === "jwt" ? "stateless" : "stateful",
            v,
            `non-401 errors until ${v.failoverErrorMs === null ? "none" : formatDuration(v.failoverErrorMs)} after the kill; ${recoveryAfterHeal(v.summary, "the restart")}`,
          ),
        ),
    };
  },
  invariants(o) {
    const kept = o.variants.filter((v) => v.store !== "memory");
    const memory = o.variants.filter((v) => v.store === "memory");
    return [
      ...kept.map((v) => ({
        name: `no session lost on a crash: ${v.label}`,
        holds: v.relogin.users === 0,
        detail: `${v.relogin.users} of ${v.users} users answered 401 (${v.relogin.unauthorized} requests)`,
      })),
      ...memory.map((v) => ({
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
    ];
  },
});
