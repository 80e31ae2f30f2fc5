import { randomBytes } from "node:crypto";
import { authKindOf, defineScenario, type StackSpec } from "../../compare/scenario.js";
import { formatDuration, pct } from "../../format.js";
import type { Op } from "../../load/index.js";
import type { Stack } from "../../stack/stack.js";
import { LabUser } from "../../stack/users.js";
import { faultCell } from "./cells.js";
import { type EventTiming, prepareTargets, type ReloginCounts, runFaultLoad } from "./load.js";
import {
  countErrorKinds,
  describeErrors,
  eventAt,
  type FaultSummary,
  firstCleanSecondAfter,
  lastMatchingAfter,
  marker,
  summarizeFault,
  timelineCharts,
} from "./summary.js";

/** One login attempted by a user signed up before the outage; ms since the load started. */
export interface OutageLogin {
  status: number;
  code: string | null;
  startedMs: number;
  doneMs: number;
}

export type OutageMode = "session" | "denylist" | "none";

export interface OutageVariant {
  label: string;
  /** stateful sessions; stateless with the denylist (fails closed); stateless without revocation. */
  mode: OutageMode;
  users: number;
  summary: FaultSummary;
  /**
   * ms from Redis answering again to the last store error (any failure but 401, logged out,
   * and 504, an instance too slow for the proxy, e.g. while everyone logs in again); null when none.
   */
  storeErrorsAfterBackMs: number | null;
  /** Ops scheduled after Redis answered again that were not ok, by status and code. */
  errorsAfterBack: Record<string, number>;
  /** GET /me answered 401 while Redis was down (answer time between its exit and its restart): a store error passed off as a logout. */
  unauthorizedWhileDown: number;
  /** Users answered 401 and logged in again: a Redis restart without persistence forgets every session. */
  relogin: ReloginCounts;
  logins: OutageLogin[];
}

export interface OutageObservations {
  rate: number;
  durationMs: number;
  stop: EventTiming;
  /** ms since the load started when redis-server had exited (the stop resolved). */
  downAtMs: number;
  /** `startedMs`: redis-server started; `doneMs`: it answers PING. */
  start: EventTiming;
  /** Recovery bound after Redis answers again: node-redis reconnects with a backoff of at most 1 s. */
  recoveryBoundMs: number;
  variants: OutageVariant[];
}

const variants: Array<{ label: string; mode: OutageMode; spec: Omit<StackSpec, "redisUrl"> }> = [
  { label: "stateful", mode: "session", spec: { app: "stateful", label: "stateful", fresh: true } },
  {
    label: "stateless, denylist",
    mode: "denylist",
    spec: { app: "stateless", label: "stateless", env: { REVOCATION: "denylist" }, fresh: true },
  },
  {
    label: "stateless, no revocation",
    mode: "none",
    spec: { app: "stateless", label: "sl-none", env: { REVOCATION: "none" }, fresh: true },
  },
];

const isStoreError = (op: Op) => op.outcome !== "ok" && op.status !== 401 && op.status !== 504;
const duringErrors = (v: OutageVariant) => v.summary.during.counts.fail + v.summary.during.counts.unknown;
const duringTotal = (v: OutageVariant) => duringErrors(v) + v.summary.during.counts.ok;
const count503 = (v: OutageVariant) =>
  Object.entries(v.summary.errors)
    .filter(([kind]) => kind.startsWith("503 "))
    .reduce((sum, [, n]) => sum + n, 0);
/** A login counts as "during the outage" only if it started after Redis had exited and ended before it was started again. */
const loginsInOutage = (o: OutageObservations, v: OutageVariant) =>
  v.logins.filter((login) => login.startedMs >= o.downAtMs && login.doneMs <= o.start.startedMs);
const is2xx = (status: number) => status >= 200 && status < 300;
/** The brief's "recovered" for a person: a whole second without any error, 401s (logged out) included. */
const cleanSecond = (o: OutageObservations, v: OutageVariant) => {
  const ms = firstCleanSecondAfter(v.summary.timeline, o.start.doneMs);
  return ms === null ? "none in the run" : formatDuration(ms);
};

/**
 * Logs every stack's users in, one attempt every `gapMs` taking the stacks in turn, without
 * waiting for each other: a login may take a second on a busy machine, and a burst of
 * argon2 hashes would slow every stack's answers (the p99 this scenario bounds). Times each
 * attempt; never throws.
 */
function attemptLogins(stacks: Stack[], users: LabUser[][], gapMs: number, elapsedMs: () => number) {
  return Promise.all(
    stacks.map((stack, k) =>
      Promise.all(
        (users[k] ?? []).map(async (user, j): Promise<OutageLogin> => {
          await new Promise((resolve) => setTimeout(resolve, (j * stacks.length + k) * gapMs));
          const startedMs = elapsedMs();
          const reply = await user
            .call(stack.url, "POST", "/auth/login", { username: user.username, password: user.password })
            .catch(() => ({ status: 0, code: "no_answer" }));
          return { status: reply.status, code: reply.code, startedMs, doneMs: elapsedMs() };
        }),
      ),
    ),
  );
}

/**
 * Scenario: stop Redis under load, start it again. What depends on Redis per
 * request (sessions, the denylist) must fail fast and closed, and heal by itself;
 * truly stateless verification keeps serving. A login must never answer 2xx for
 * a session the store could not keep.
 */
export const storeOutage = defineScenario<OutageObservations>({
  id: "store-outage",
  title: "Store outage: Redis stopped under load",
  question: "What does each design do while its Redis is down, and how fast does it come back?",
  estimateSeconds: (quick) => (quick ? 35 : 55),
  async run(ctx) {
    const rate = ctx.quick ? 60 : 100;
    const stopAtMs = ctx.quick ? 3_000 : 5_000;
    const startAtMs = stopAtMs + (ctx.quick ? 3_000 : 5_000);
    const durationMs = startAtMs + (ctx.quick ? 6_000 : 10_000);
    const usersPerStack = ctx.quick ? 15 : 30;
    const loginsPerStack = ctx.quick ? 2 : 3;
    const setupStarted = Date.now();
    const redis = await ctx.privateRedis();
    const loadTargets = await prepareTargets(
      ctx,
      variants.map((v) => ({ label: v.label, spec: { ...v.spec, redisUrl: redis.url } })),
      usersPerStack,
    );
    const stacks = loadTargets.map((target) => target.stack);
    // Signed up now, logged in only while Redis is down.
    const loginUsers = await Promise.all(
      stacks.map(async (stack) => {
        const tag = `${stack.label.replace(/[^\w]/g, "").slice(0, 12)}_${randomBytes(3).toString("hex")}`;
        const fresh = Array.from(
          { length: loginsPerStack },
          (_, i) => new LabUser(authKindOf(stack.app), `${tag}_out${i}`, "lab-password-1"),
        );
        for (const user of fresh) {
          const signup = await user.signup(stack.url);
          if (signup.status !== 201) throw new Error(`signup of ${user.username} failed: ${signup.status}`);
        }
        return fresh;
      }),
    );
    ctx.log(
      `store-outage: ${stacks.length} fresh stacks and their users ready in ${formatDuration(Date.now() - setupStarted)}`,
    );
    let loginsDone: Promise<OutageLogin[][]> = Promise.resolve([]);
    let downAtMs: number | null = null;
    ctx.log(
      `store-outage: ${rate} GET /me/s per stack, Redis down ${formatDuration(stopAtMs)}–${formatDuration(startAtMs)}`,
    );
    const run = await runFaultLoad({
      rate,
      durationMs,
      timeoutMs: 5000,
      targets: loadTargets,
      progress: ctx.progress,
      events: [
        {
          atMs: stopAtMs,
          label: "Redis stopped",
          run: async (_targets, elapsedMs) => {
            await redis.stop();
            downAtMs = elapsedMs();
            // Spread over the first half of the outage, so each attempt can end before Redis returns.
            const gapMs = Math.floor((startAtMs - stopAtMs) / 2 / (loginsPerStack * stacks.length));
            loginsDone = attemptLogins(stacks, loginUsers, gapMs, elapsedMs);
          },
        },
        { atMs: startAtMs, label: "Redis started", run: () => redis.start() },
      ],
    });
    const logins = await loginsDone;
    const stop = eventAt(run, "Redis stopped", stopAtMs);
    const start = eventAt(run, "Redis started", startAtMs);
    return {
      rate,
      durationMs,
      stop,
      downAtMs: downAtMs ?? stop.doneMs,
      start,
      recoveryBoundMs: 5000,
      variants: variants.map((v, i) => {
        const ops = run.targets[i]?.ops ?? [];
        return {
          label: v.label,
          mode: v.mode,
          users: loadTargets[i]?.users.length ?? 0,
          summary: summarizeFault(ops, { faultMs: stop.startedMs, healMs: start.doneMs }),
          storeErrorsAfterBackMs: lastMatchingAfter(ops, start.doneMs, isStoreError),
          errorsAfterBack: countErrorKinds(ops.filter((op) => op.t >= start.doneMs)),
          unauthorizedWhileDown: ops.filter((op) => {
            const answeredMs = op.t + op.latencyMs;
            return op.status === 401 && answeredMs >= (downAtMs ?? stop.doneMs) && answeredMs < start.startedMs;
          }).length,
          relogin: run.targets[i]?.relogin ?? { users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 },
          logins: logins[i] ?? [],
        };
      }),
    };
  },
  measure(o) {
    const outage = o.start.doneMs - o.stop.startedMs;
    const reading: string[] = [];
    const parts = o.variants.map(
      (v) =>
        `${v.label} ${pct(duringErrors(v), duringTotal(v))} errors (p99 ${formatDuration(v.summary.during.latency.p99)})`,
    );
    reading.push(
      `While Redis was down (${formatDuration(outage)} from stop to PING), GET /me answered with ${parts.join(", ")}.`,
    );
    const recovered = o.variants.map(
      (v) =>
        (v.storeErrorsAfterBackMs === null
          ? `${v.label} had no store error after Redis answered again`
          : `${v.label} answered its last store error ${formatDuration(v.storeErrorsAfterBackMs)} after Redis was back`) +
        (Object.keys(v.errorsAfterBack).length > 0
          ? ` (all errors from then on: ${describeErrors(v.errorsAfterBack)})`
          : ""),
    );
    reading.push(`${recovered.join("; ")}.`);
    const falseLogouts = o.variants.filter((v) => v.unauthorizedWhileDown > 0);
    if (falseLogouts.length > 0) {
      reading.push(
        `${falseLogouts.map((v) => `${v.label} answered ${v.unauthorizedWhileDown} requests 401`).join(", ")} while Redis was down: ` +
          `a store failure passed off as a logout.`,
      );
    }
    const forgotten = o.variants.filter((v) => v.relogin.users > 0);
    if (forgotten.length > 0) {
      reading.push(
        `Redis runs without persistence, so its restart forgot every key: ` +
          `${forgotten.map((v) => `${v.label} sent ${v.relogin.users} of ${v.users} users back to the login page (401)`).join(", ")}` +
          `${
            o.variants.some((v) => v.relogin.users === 0)
              ? `, while ${o.variants
                  .filter((v) => v.relogin.users === 0)
                  .map((v) => v.label)
                  .join(" and ")} logged nobody out`
              : ""
          }.`,
      );
    }
    const loginParts = o.variants.map((v) => {
      const inside = loginsInOutage(o, v);
      const ok = inside.filter((login) => is2xx(login.status)).length;
      return `${v.label} ${ok} of ${inside.length} answered 2xx (${inside.map((login) => login.status).join(", ") || "none inside"})`;
    });
    const storeRefused = o.variants.filter(
      (v) => v.mode !== "session" && loginsInOutage(o, v).some((login) => login.code === "store_unavailable"),
    );
    reading.push(
      `Logins tried during the outage: ${loginParts.join("; ")}.` +
        (storeRefused.length > 0
          ? ` ${storeRefused.map((v) => v.label).join(" and ")} refused logins too (503 store_unavailable): the failed-login throttle lives in Redis.`
          : ""),
    );
    return {
      tables: [
        {
          caption:
            `Redis stopped at ${formatDuration(o.stop.startedMs)}, answering again at ${formatDuration(o.start.doneMs)}; ` +
            `${o.rate} GET /me per second per stack for ${formatDuration(o.durationMs)}`,
          columns: [
            "variant",
            "requests during outage",
            "error rate during outage",
            "503s",
            "p99 during outage",
            "max during outage",
            "last store error (after Redis back)",
            "first error-free second (after Redis back)",
            "401 while down",
            "users logged out by the restart",
            "logins during outage (2xx / tried)",
          ],
          rows: o.variants.map((v) => {
            const inside = loginsInOutage(o, v);
            return [
              v.label,
              duringTotal(v),
              pct(duringErrors(v), duringTotal(v)),
              count503(v),
              formatDuration(v.summary.during.latency.p99),
              formatDuration(v.summary.during.latency.max),
              v.storeErrorsAfterBackMs === null ? "none" : formatDuration(v.storeErrorsAfterBackMs),
              cleanSecond(o, v),
              v.unauthorizedWhileDown,
              `${v.relogin.users} of ${v.users}`,
              `${inside.filter((login) => is2xx(login.status)).length} / ${inside.length}`,
            ];
          }),
        },
        {
          caption: "Every request that was not ok, and every login tried during the outage (status code)",
          columns: [
            "variant",
            "errors",
            "logins tried after the stop (status, from–to)",
            "re-logins ok",
            "re-logins failed",
          ],
          rows: o.variants.map((v) => [
            v.label,
            describeErrors(v.summary.errors),
            v.logins
              .map(
                (l) =>
                  `${l.status}${l.code ? ` ${l.code}` : ""} (${formatDuration(l.startedMs)}–${formatDuration(l.doneMs)})`,
              )
              .join(", "),
            v.relogin.succeeded,
            v.relogin.failed,
          ]),
        },
      ],
      charts: timelineCharts(
        o.variants.map((v) => ({ label: v.label, summary: v.summary })),
        [marker(o.stop), marker({ ...o.start, startedMs: o.start.doneMs, label: "Redis back" })],
      ),
      reading,
      outcomes: Object.fromEntries(o.variants.map((v) => [v.label, v.summary.counts])),
      faultCells: o.variants
        .filter((v) => v.mode !== "none")
        .map((v) =>
          faultCell(
            "redis-down",
            v.mode === "session" ? "stateful" : "stateless",
            v,
            v.storeErrorsAfterBackMs === null
              ? "no store error once Redis answered again"
              : `store errors until ${formatDuration(v.storeErrorsAfterBackMs)} after Redis answered again`,
          ),
        ),
    };
  },
  invariants(o) {
    const byMode = (mode: OutageMode) => o.variants.filter((v) => v.mode === mode);
    return [
      ...byMode("none").map((v) => ({
        name: `${v.label} serves ≥ 99% during the outage`,
        holds: duringTotal(v) > 0 && v.summary.during.counts.ok >= 0.99 * duringTotal(v),
        detail: `${v.summary.during.counts.ok} of ${duringTotal(v)} ok`,
      })),
      ...[...byMode("session"), ...byMode("denylist")].map((v) => {
        const d = v.summary.during;
        return {
          name: `${v.label} answers 503 during the outage, without hanging (p99 < 2 s)`,
          holds: count503(v) > 0 && d.latency.p99 < 2000 && d.counts.unknown === 0,
          detail: `${count503(v)} × 503, p99 ${formatDuration(d.latency.p99)}, ${d.counts.unknown} without an answer`,
        };
      }),
      ...o.variants.map((v) => ({
        name: `${v.label} recovers within ${formatDuration(o.recoveryBoundMs)} of Redis returning`,
        holds:
          (v.storeErrorsAfterBackMs === null || v.storeErrorsAfterBackMs <= o.recoveryBoundMs) &&
          v.summary.after.counts.ok > 0,
        detail:
          v.storeErrorsAfterBackMs === null
            ? `no store error after Redis was back (${v.summary.after.counts.ok} ok)`
            : `last store error ${formatDuration(v.storeErrorsAfterBackMs)} after Redis was back`,
      })),
      ...o.variants.map((v) => ({
        name: `${v.label} logs nobody out while Redis is down (503, never 401)`,
        holds: v.unauthorizedWhileDown === 0,
        detail: `${v.unauthorizedWhileDown} GET /me answered 401 while Redis was down`,
      })),
      ...byMode("session").map((v) => {
        const inside = loginsInOutage(o, v);
        const ok = inside.filter((login) => is2xx(login.status));
        return {
          name: `no 2xx login on ${v.label} while Redis is down`,
          holds: inside.length > 0 && ok.length === 0,
          detail:
            inside.length === 0
              ? "no login attempt fell inside the outage"
              : `${ok.length} of ${inside.length} logins answered 2xx (${inside.map((login) => login.status).join(", ")})`,
        };
      }),
    ];
  },
});
