import { formatDuration, round } from "../../format.js";
import { answerOf, type LabUser } from "../../stack/users.js";
import { recoveryAfterHeal } from "./cells.js";
import { defineFaultScenario, type FaultObservations, type FaultTiming, relayedStacks } from "./define.js";
import { healedRelayFault, relayedVariants } from "./relayed.js";
import { describeErrors } from "./summary.js";

interface DbDownTiming extends FaultTiming {
  downAtMs: number;
  /** Postgres is refused for 5 s in both modes. */
  upAtMs: number;
}

/** What one instance, asked directly, answered while Postgres was down and after it came back. */
export interface DbProbe {
  /** Postgres was down from before the probe's requests were sent until they were answered (else they measured nothing). */
  measuredWhileDown: boolean;
  /** A login during the outage (503 db_unavailable expected), and the last status of the logins after it (tried until 200, ≤ 5 s). */
  loginDuring: number;
  loginDuringCode: string | null;
  loginAfter: number;
  /** ms from Postgres back to the first 200 login; null if none. */
  loginAfterMs: number | null;
  /**
   * With credentials from before the outage: a route that only authenticates (up to 3 tries, stopping
   * at the first 200: a loaded machine may time out one Redis read), and GET /me (reads the user row).
   */
  authOnlyTries: number[];
  meDuring: number;
  meDuringCode: string | null;
}

export type DbDownObservations = FaultObservations<
  "down" | "up",
  { probe: DbProbe },
  {
    /** Errors must end this long after Postgres is back: pg reconnects on the next query, the proxy re-adds after 2 good checks. */
    recoveryBoundMs: number;
  }
>;
export type DbDownVariant = DbDownObservations["variants"][number];

/** Before the probe ran: nothing measured. */
const notProbed: DbProbe = {
  measuredWhileDown: false,
  loginDuring: 0,
  loginDuringCode: null,
  loginAfter: 0,
  loginAfterMs: null,
  authOnlyTries: [],
  meDuring: 0,
  meDuringCode: null,
};

const credentials = (user: LabUser) => ({ username: user.username, password: user.password });

/** GET /chat/partners (authentication, no Postgres) up to 3 times, until 200. */
async function authOnly(user: LabUser, url: string): Promise<number[]> {
  const tries: number[] = [];
  while (tries.length < 3 && tries.at(-1) !== 200) {
    tries.push((await answerOf(user.clone().call(url, "GET", "/chat/partners"))).status);
  }
  return tries;
}

/** Logs in every 500 ms until 200 or `withinMs`; the last status. */
async function loginUntilOk(user: LabUser, url: string, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const { status } = await answerOf(user.clone().call(url, "POST", "/auth/login", credentials(user)));
    if (status === 200 || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const withCode = (status: number, code: string | null) => `${status} ${code ?? ""}`.trim();

/** Sentences of the reading, each a function of the observations. */
export const dbDownReading = {
  perStack: (o: DbDownObservations) =>
    o.variants.map(
      (v) =>
        `${v.label}: a login during the outage got ${withCode(v.probe.loginDuring, v.probe.loginDuringCode)}; credentials from before still authenticated ` +
        `(GET /chat/partners ${v.probe.authOnlyTries.join(", ")}) while GET /me, which reads the user row, got ${withCode(v.probe.meDuring, v.probe.meDuringCode)}; ` +
        `${v.relogin.users} users were logged out, and a login after it got ${v.probe.loginAfter}, with no restart.`,
    ),
  design: () =>
    "Both designs keep who is logged in out of Postgres (a Redis session, a signed token), so an outage of the user database costs logins and reads of user rows, never sessions.",
  ejected: (o: DbDownObservations) =>
    o.variants
      .filter((v) => Object.keys(v.summary.errors).some((kind) => kind.includes("no_healthy_backend")))
      .map(
        (v) =>
          `${v.label}: the proxy ejected every instance (their /readyz checks Postgres), so it refused even requests that needed no database.`,
      ),
};

/**
 * Scenario: Postgres goes away for 5 s (its relay closes every connection and
 * refuses new ones, as a stopped server does). Logins need the user row and must
 * fail with 503; sessions and tokens live elsewhere and must survive it; the apps
 * must come back by themselves when Postgres does.
 */
export const dbDown = defineFaultScenario({
  id: "db-down",
  title: "Postgres down for 5 s under load",
  question: "While Postgres is down, what still works on each stack, and does it come back without restarts?",
  fault: "postgres-down",
  timing: {
    quick: { rate: 40, durationMs: 9_500, downAtMs: 1_500, upAtMs: 6_500, usersPerStack: 10, estimateSeconds: 12 },
    full: { rate: 80, durationMs: 17_000, downAtMs: 4_000, upAtMs: 9_000, usersPerStack: 20, estimateSeconds: 25 },
  } satisfies Record<"quick" | "full", DbDownTiming>,
  variants: relayedVariants,
  // One spare user per stack only logs in, directly on an instance: never in the load.
  prepare: relayedStacks({ spareUsers: 1 }),
  events: [
    { key: "down", label: "Postgres down", at: (t: DbDownTiming) => t.downAtMs },
    { key: "probe", label: "probe", at: (t: DbDownTiming) => t.downAtMs + 1_500, isMarked: false },
    { key: "up", label: "Postgres back", at: (t: DbDownTiming) => t.upAtMs },
  ],
  describe: (t) => `Postgres refused ${formatDuration(t.downAtMs)}–${formatDuration(t.upAtMs)}`,
  start({ ctx, timing, targets, spare, state: relayed }) {
    const loginUsers = spare.map((list) => list[0] as LabUser);
    const probes = new Map<number, DbProbe>();
    const outage = healedRelayFault(ctx, {
      name: "db-down: Postgres refused",
      relays: relayed.map((r) => r.postgres),
      fault: { kind: "refuse" },
      safetyMs: timing.upAtMs - timing.downAtMs + 15_000,
    });
    return {
      actions: {
        down: () => outage.start(),
        probe: () =>
          outage.probeEach(relayed, async (r, i) => {
            const instance = r.stack.instances[0];
            const user = loginUsers[i] as LabUser;
            const loadUser = targets[i]?.users[0];
            if (!instance || !loadUser) return;
            const downBefore = outage.isActive();
            const [login, authOnlyTries, me] = await Promise.all([
              answerOf(user.clone().call(instance.url, "POST", "/auth/login", credentials(user))),
              authOnly(loadUser, instance.url),
              answerOf(loadUser.clone().call(instance.url, "GET", "/me")),
            ]);
            probes.set(i, {
              ...notProbed,
              measuredWhileDown: downBefore && outage.isActive(),
              loginDuring: login.status,
              loginDuringCode: login.code,
              authOnlyTries,
              meDuring: me.status,
              meDuringCode: me.code,
            });
          }),
        up: async (_live, elapsedMs) => {
          const backMs = await outage.heal(elapsedMs);
          await Promise.all(
            relayed.map(async (r, i) => {
              const instance = r.stack.instances[0];
              const probe = probes.get(i);
              if (!instance || !probe) return;
              const after = await loginUntilOk(loginUsers[i] as LabUser, instance.url, 5_000);
              probe.loginAfter = after;
              probe.loginAfterMs = after === 200 ? round(elapsedMs() - backMs) : null;
            }),
          );
          return backMs;
        },
      },
      phases: (e) => ({ faultMs: e.down.startedMs, healMs: e.up.startedMs }),
      observe: (i) => ({ probe: probes.get(i) ?? notProbed }),
      extras: () => ({ recoveryBoundMs: 5000 }),
    };
  },
  tables: (o) => [
    {
      caption: `${o.rate} GET /me per second per stack through the proxy; Postgres down ${formatDuration(o.down.startedMs)}–${formatDuration(o.up.startedMs)}; probes on instance 1 directly`,
      columns: [
        "variant",
        "GET /me errors (via proxy)",
        "login, down",
        "GET /chat/partners (auth only), down",
        "GET /me, down",
        "login, after",
        "after the heal",
        "users logged out",
      ],
      rows: o.variants.map((v) => [
        v.label,
        describeErrors(v.summary.errors),
        withCode(v.probe.loginDuring, v.probe.loginDuringCode),
        v.probe.authOnlyTries.join(", "),
        withCode(v.probe.meDuring, v.probe.meDuringCode),
        v.probe.loginAfterMs === null ? v.probe.loginAfter : `200 after ${formatDuration(v.probe.loginAfterMs)}`,
        recoveryAfterHeal(v.summary, "Postgres returned"),
        v.relogin.users,
      ]),
    },
  ],
  reading: [dbDownReading.perStack, dbDownReading.design, dbDownReading.ejected],
  invariants: (o) =>
    o.variants.flatMap((v) => [
      {
        name: `db-down does not break existing sessions: ${v.label}`,
        holds:
          v.probe.measuredWhileDown &&
          v.relogin.users === 0 &&
          v.probe.authOnlyTries.includes(200) &&
          !v.probe.authOnlyTries.includes(401) &&
          v.probe.meDuring !== 401,
        detail:
          `${v.relogin.users} users answered 401; auth-only route ${v.probe.authOnlyTries.join(", ")} and GET /me ${v.probe.meDuring} during the outage` +
          (v.probe.measuredWhileDown ? "" : " (Postgres was back before the probe was answered: not measured)"),
      },
      {
        name: `logins during the outage answer 503, never 2xx: ${v.label}`,
        holds: v.probe.measuredWhileDown && v.probe.loginDuring === 503,
        detail: `login ${v.probe.loginDuring} ${v.probe.loginDuringCode ?? ""}`.trim(),
      },
      {
        name: `recovers without restarts within ${formatDuration(o.recoveryBoundMs)}: ${v.label}`,
        holds: v.probe.loginAfter === 200 && (v.summary.lastErrorAfterHealMs ?? 0) <= o.recoveryBoundMs,
        detail: `login after ${v.probe.loginAfter}; ${recoveryAfterHeal(v.summary, "Postgres returned")}`,
      },
    ]),
  cell: (v) => ({ recovery: recoveryAfterHeal(v.summary, "Postgres returned") }),
});
