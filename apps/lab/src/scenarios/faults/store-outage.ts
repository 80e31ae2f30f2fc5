import { authKindOf } from "../../compare/scenario.js";
import { formatDuration, pct } from "../../format.js";
import type { Op } from "../../load/index.js";
import type { Stack, StackSpec } from "../../stack/stack.js";
import { answerOf, type LabUser, signUpUsers } from "../../stack/users.js";
import { defineFaultScenario, type FaultObservations, type FaultTiming, ownStacks } from "./define.js";
import { countErrorKinds, describeErrors, firstCleanSecondAfter, lastMatchingAfter, marker } from "./summary.js";

interface OutageTiming extends FaultTiming {
  stopAtMs: number;
  startAtMs: number;
  /** Users per stack signed up before the outage and logging in during it. */
  loginsPerStack: number;
}

/** One login attempted by a user signed up before the outage; ms since the load started. */
export interface OutageLogin {
  status: number;
  code: string | null;
  startedMs: number;
  doneMs: number;
}

export type OutageMode = "session" | "denylist" | "none";

/** What store-outage measures of a variant beyond the common summary (its heal: Redis answering PING again). */
export interface OutageFigures {
  /** stateful sessions; stateless with the denylist (fails closed); stateless without revocation. */
  mode: OutageMode;
  /**
   * ms from Redis answering again to the last store error (any failure but 401, logged out,
   * and 504, an instance too slow for the proxy, e.g. while everyone logs in again); null when none.
   */
  storeErrorsAfterBackMs: number | null;
  /** Ops scheduled after Redis answered again that were not ok, by status and code. */
  errorsAfterBack: Record<string, number>;
  /** GET /me answered 401 while Redis was down (answer time between its exit and its restart): a store error passed off as a logout. */
  unauthorizedWhileDown: number;
  logins: OutageLogin[];
}

export type OutageObservations = FaultObservations<
  "stop" | "start",
  OutageFigures,
  {
    /** ms since the load started when redis-server had exited (the stop resolved). */
    downAtMs: number;
    /** Recovery bound after Redis answers again: node-redis reconnects with a backoff of at most 1 s. */
    recoveryBoundMs: number;
  }
>;
export type OutageVariant = OutageObservations["variants"][number];

const variants = [
  { label: "stateful", stack: "stateful", mode: "session", spec: { app: "stateful", label: "stateful" } },
  {
    label: "stateless, denylist",
    stack: "stateless",
    mode: "denylist",
    spec: { app: "stateless", label: "stateless", env: { REVOCATION: "denylist" } },
  },
  {
    label: "stateless, no revocation",
    stack: "stateless",
    mode: "none",
    spec: { app: "stateless", label: "sl-none", env: { REVOCATION: "none" } },
  },
] as const satisfies ReadonlyArray<{
  label: string;
  stack: "stateful" | "stateless";
  mode: OutageMode;
  spec: StackSpec;
}>;

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
          const reply = await answerOf(
            user.call(stack.url, "POST", "/auth/login", { username: user.username, password: user.password }),
          );
          return { status: reply.status, code: reply.code, startedMs, doneMs: elapsedMs() };
        }),
      ),
    ),
  );
}

const outageParts = (o: OutageObservations) =>
  o.variants.map(
    (v) =>
      `${v.label} ${pct(duringErrors(v), duringTotal(v))} errors (p99 ${formatDuration(v.summary.during.latency.p99)})`,
  );

/** Sentences of the reading, each a function of the observations. */
export const storeOutageReading = {
  whileDown: (o: OutageObservations) =>
    `While Redis was down (${formatDuration(o.start.doneMs - o.stop.startedMs)} from stop to PING), GET /me answered with ${outageParts(o).join(", ")}.`,
  recovery(o: OutageObservations) {
    const recovered = o.variants.map(
      (v) =>
        (v.storeErrorsAfterBackMs === null
          ? `${v.label} had no store error after Redis answered again`
          : `${v.label} answered its last store error ${formatDuration(v.storeErrorsAfterBackMs)} after Redis was back`) +
        (Object.keys(v.errorsAfterBack).length > 0
          ? ` (all errors from then on: ${describeErrors(v.errorsAfterBack)})`
          : ""),
    );
    return `${recovered.join("; ")}.`;
  },
  falseLogouts(o: OutageObservations) {
    const falseLogouts = o.variants.filter((v) => v.unauthorizedWhileDown > 0);
    if (falseLogouts.length === 0) return null;
    return (
      `${falseLogouts.map((v) => `${v.label} answered ${v.unauthorizedWhileDown} requests 401`).join(", ")} while Redis was down: ` +
      `a store failure passed off as a logout.`
    );
  },
  forgotten(o: OutageObservations) {
    const forgotten = o.variants.filter((v) => v.relogin.users > 0);
    if (forgotten.length === 0) return null;
    const kept = o.variants.filter((v) => v.relogin.users === 0);
    return (
      `Redis runs without persistence, so its restart forgot every key: ` +
      `${forgotten.map((v) => `${v.label} sent ${v.relogin.users} of ${v.users} users back to the login page (401)`).join(", ")}` +
      `${kept.length > 0 ? `, while ${kept.map((v) => v.label).join(" and ")} logged nobody out` : ""}.`
    );
  },
  logins(o: OutageObservations) {
    const loginParts = o.variants.map((v) => {
      const inside = loginsInOutage(o, v);
      const ok = inside.filter((login) => is2xx(login.status)).length;
      return `${v.label} ${ok} of ${inside.length} answered 2xx (${inside.map((login) => login.status).join(", ") || "none inside"})`;
    });
    const storeRefused = o.variants.filter(
      (v) => v.mode !== "session" && loginsInOutage(o, v).some((login) => login.code === "store_unavailable"),
    );
    return (
      `Logins tried during the outage: ${loginParts.join("; ")}.` +
      (storeRefused.length > 0
        ? ` ${storeRefused.map((v) => v.label).join(" and ")} refused logins too (503 store_unavailable): the failed-login throttle lives in Redis.`
        : "")
    );
  },
};

/**
 * Scenario: stop Redis under load, start it again. What depends on Redis per
 * request (sessions, the denylist) must fail fast and closed, and heal by itself;
 * truly stateless verification keeps serving. A login must never answer 2xx for
 * a session the store could not keep.
 */
export const storeOutage = defineFaultScenario({
  id: "store-outage",
  title: "Store outage: Redis stopped under load",
  question: "What does each design do while its Redis is down, and how fast does it come back?",
  fault: "redis-down",
  timing: {
    quick: {
      rate: 60,
      durationMs: 12_000,
      stopAtMs: 3_000,
      startAtMs: 6_000,
      usersPerStack: 15,
      loginsPerStack: 2,
      estimateSeconds: 35,
    },
    full: {
      rate: 100,
      durationMs: 20_000,
      stopAtMs: 5_000,
      startAtMs: 10_000,
      usersPerStack: 30,
      loginsPerStack: 3,
      estimateSeconds: 55,
    },
  } satisfies Record<"quick" | "full", OutageTiming>,
  variants,
  // Fresh stacks on a Redis of the scenario's own, which it stops; and users signed up now, logged in only while it is down.
  async prepare(ctx, timing, list) {
    const redis = await ctx.privateRedis();
    const prepared = await ownStacks<(typeof variants)[number]>({
      spec: (v) => ({ ...v.spec, redisUrl: redis.url, fresh: true }),
    })(ctx, timing, list);
    const loginsPerStack = (timing as OutageTiming).loginsPerStack;
    const loginUsers = await Promise.all(
      prepared.targets.map(({ stack }) =>
        signUpUsers(
          stack.url,
          authKindOf(stack.app),
          loginsPerStack,
          `${stack.label.replace(/[^\w]/g, "").slice(0, 12)}_out`,
        ),
      ),
    );
    return { ...prepared, state: { redis, loginUsers } };
  },
  events: [
    { key: "stop", label: "Redis stopped", at: (t: OutageTiming) => t.stopAtMs },
    { key: "start", label: "Redis started", at: (t: OutageTiming) => t.startAtMs },
  ],
  describe: (t) => `Redis down ${formatDuration(t.stopAtMs)}–${formatDuration(t.startAtMs)}`,
  start({ timing, targets, state: { redis, loginUsers } }) {
    const stacks = targets.map((target) => target.stack);
    let loginsDone: Promise<OutageLogin[][]> = Promise.resolve([]);
    let logins: OutageLogin[][] = [];
    let downAtMs: number | null = null;
    return {
      actions: {
        stop: async (_live, elapsedMs) => {
          await redis.stop();
          downAtMs = elapsedMs();
          // Spread over the first half of the outage, so each attempt can end before Redis returns.
          const gapMs = Math.floor((timing.startAtMs - timing.stopAtMs) / 2 / (timing.loginsPerStack * stacks.length));
          loginsDone = attemptLogins(stacks, loginUsers, gapMs, elapsedMs);
        },
        start: () => redis.start(),
      },
      async afterLoad() {
        logins = await loginsDone;
      },
      phases: (e) => ({ faultMs: e.stop.startedMs, healMs: e.start.doneMs }),
      observe(i, ops, e): OutageFigures {
        const down = downAtMs ?? e.stop.doneMs;
        return {
          mode: variants[i]?.mode ?? "none",
          storeErrorsAfterBackMs: lastMatchingAfter(ops, e.start.doneMs, isStoreError),
          errorsAfterBack: countErrorKinds(ops.filter((op) => op.t >= e.start.doneMs)),
          unauthorizedWhileDown: ops.filter((op: Op) => {
            const answeredMs = op.t + op.latencyMs;
            return op.status === 401 && answeredMs >= down && answeredMs < e.start.startedMs;
          }).length,
          logins: logins[i] ?? [],
        };
      },
      extras: (e) => ({ downAtMs: downAtMs ?? e.stop.doneMs, recoveryBoundMs: 5000 }),
    };
  },
  tables: (o) => [
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
  markers: (o) => [marker(o.stop), marker({ ...o.start, startedMs: o.start.doneMs, label: "Redis back" })],
  reading: [
    storeOutageReading.whileDown,
    storeOutageReading.recovery,
    storeOutageReading.falseLogouts,
    storeOutageReading.forgotten,
    storeOutageReading.logins,
  ],
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
  // Without revocation there is nothing in Redis to lose: this scenario's extra, not the matrix's stateless.
  cell: (v) =>
    v.mode === "none"
      ? null
      : {
          recovery:
            v.storeErrorsAfterBackMs === null
              ? "no store error once Redis answered again"
              : `store errors until ${formatDuration(v.storeErrorsAfterBackMs)} after Redis answered again`,
        },
});
