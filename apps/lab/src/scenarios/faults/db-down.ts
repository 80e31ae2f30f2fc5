import type { ActiveFault } from "@statelab/faults";
import { relayFault } from "../../compare/fault-specs.js";
import type { StackName } from "../../compare/results.js";
import { defineScenario } from "../../compare/scenario.js";
import { formatDuration, round } from "../../format.js";
import type { LabUser } from "../../stack/users.js";
import { faultCell, recoveryAfterHeal } from "./cells.js";
import { type EventTiming, type ReloginCounts, runFaultLoad } from "./load.js";
import { relayedTargets, relayedVariants } from "./relayed.js";
import { describeErrors, eventAt, type FaultSummary, marker, summarizeFault, timelineCharts } from "./summary.js";

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

export interface DbDownVariant {
  label: string;
  stack: StackName;
  users: number;
  summary: FaultSummary;
  relogin: ReloginCounts;
  probe: DbProbe;
}

export interface DbDownObservations {
  rate: number;
  durationMs: number;
  down: EventTiming;
  up: EventTiming;
  /** Errors must end this long after Postgres is back: pg reconnects on the next query, the proxy re-adds after 2 good checks. */
  recoveryBoundMs: number;
  variants: DbDownVariant[];
}

const variants = relayedVariants;

const credentials = (user: LabUser) => ({ username: user.username, password: user.password });

/** GET /chat/partners (authentication, no Postgres) up to 3 times, until 200. */
async function authOnly(user: LabUser, url: string): Promise<number[]> {
  const tries: number[] = [];
  while (tries.length < 3 && tries.at(-1) !== 200) {
    tries.push((await statusOf(user.clone().call(url, "GET", "/chat/partners"))).status);
  }
  return tries;
}

/** Logs in every 500 ms until 200 or `withinMs`; the last status. */
async function loginUntilOk(user: LabUser, url: string, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const { status } = await statusOf(user.clone().call(url, "POST", "/auth/login", credentials(user)));
    if (status === 200 || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const statusOf = (reply: Promise<{ status: number; code: string | null }>) =>
  reply.catch(() => ({ status: 0, code: "no_answer" }));

/**
 * Scenario: Postgres goes away for 5 s (its relay closes every connection and
 * refuses new ones, as a stopped server does). Logins need the user row and must
 * fail with 503; sessions and tokens live elsewhere and must survive it; the apps
 * must come back by themselves when Postgres does.
 */
export const dbDown = defineScenario<DbDownObservations>({
  id: "db-down",
  title: "Postgres down for 5 s under load",
  question: "While Postgres is down, what still works on each stack, and does it come back without restarts?",
  estimateSeconds: (quick) => (quick ? 12 : 25),
  async run(ctx) {
    const rate = ctx.quick ? 40 : 80;
    const downAtMs = ctx.quick ? 1_500 : 4_000;
    const upAtMs = downAtMs + 5_000;
    const durationMs = upAtMs + (ctx.quick ? 3_000 : 8_000);
    // One spare user per stack only logs in, directly on an instance: never in the load.
    const { relayed, users, spare, targets } = await relayedTargets(ctx, variants, ctx.quick ? 10 : 20, 1);
    const loginUsers = spare.map((list) => list[0] as LabUser);
    const probes = new Map<number, Partial<DbProbe>>();
    let fault: ActiveFault | undefined;
    let probed: Promise<unknown> = Promise.resolve();
    let upMs: number | null = null;
    ctx.log(`db-down: Postgres refused ${formatDuration(downAtMs)}–${formatDuration(upAtMs)}`);
    const run = await runFaultLoad({
      rate,
      durationMs,
      timeoutMs: 5000,
      targets,
      progress: ctx.progress,
      events: [
        {
          atMs: downAtMs,
          label: "Postgres down",
          run: async () => {
            const links = relayed.map((r) => r.postgres);
            fault = await ctx.fault(
              // The "Postgres back" event ends it once the probe is done; the timer is the safety net.
              relayFault("db-down: Postgres refused", links, { kind: "refuse" }, upAtMs - downAtMs + 15_000),
            );
          },
        },
        {
          atMs: downAtMs + 1_500,
          label: "probe",
          run: async () => {
            probed = Promise.all(
              relayed.map(async (r, i) => {
                const instance = r.stack.instances[0];
                const user = loginUsers[i] as LabUser;
                const loadUser = users[i]?.[0];
                if (!instance || !loadUser) return;
                const downBefore = fault?.isActive() === true;
                const [login, authOnlyTries, me] = await Promise.all([
                  statusOf(user.clone().call(instance.url, "POST", "/auth/login", credentials(user))),
                  authOnly(loadUser, instance.url),
                  statusOf(loadUser.clone().call(instance.url, "GET", "/me")),
                ]);
                probes.set(i, {
                  measuredWhileDown: downBefore && fault?.isActive() === true,
                  loginDuring: login.status,
                  loginDuringCode: login.code,
                  authOnlyTries,
                  meDuring: me.status,
                  meDuringCode: me.code,
                });
              }),
            );
            await probed;
          },
        },
        {
          atMs: upAtMs,
          label: "Postgres back",
          // On a loaded machine the probe can run late: the outage lasts until it is done.
          run: async (_targets, elapsedMs) => {
            await probed;
            await fault?.end();
            const backMs = elapsedMs();
            upMs = backMs;
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
          },
        },
      ],
    });
    const down = eventAt(run, "Postgres down", downAtMs);
    const upEvent = eventAt(run, "Postgres back", upAtMs);
    const up = { ...upEvent, startedMs: upMs ?? upEvent.startedMs };
    return {
      rate,
      durationMs,
      down,
      up,
      recoveryBoundMs: 5000,
      variants: variants.map((v, i) => {
        const probe = probes.get(i) ?? {};
        return {
          label: v.label,
          stack: v.stack,
          users: targets[i]?.users.length ?? 0,
          summary: summarizeFault(run.targets[i]?.ops ?? [], { faultMs: down.startedMs, healMs: up.startedMs }),
          relogin: run.targets[i]?.relogin ?? { users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 },
          probe: {
            measuredWhileDown: probe.measuredWhileDown ?? false,
            loginDuring: probe.loginDuring ?? 0,
            loginDuringCode: probe.loginDuringCode ?? null,
            loginAfter: probe.loginAfter ?? 0,
            loginAfterMs: probe.loginAfterMs ?? null,
            authOnlyTries: probe.authOnlyTries ?? [],
            meDuring: probe.meDuring ?? 0,
            meDuringCode: probe.meDuringCode ?? null,
          },
        };
      }),
    };
  },
  measure(o) {
    const withCode = (status: number, code: string | null) => `${status} ${code ?? ""}`.trim();
    return {
      tables: [
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
      charts: timelineCharts(
        o.variants.map((v) => ({ label: v.label, summary: v.summary })),
        [marker(o.down), marker(o.up)],
      ),
      reading: [
        ...o.variants.map(
          (v) =>
            `${v.label}: a login during the outage got ${withCode(v.probe.loginDuring, v.probe.loginDuringCode)}; credentials from before still authenticated ` +
            `(GET /chat/partners ${v.probe.authOnlyTries.join(", ")}) while GET /me, which reads the user row, got ${withCode(v.probe.meDuring, v.probe.meDuringCode)}; ` +
            `${v.relogin.users} users were logged out, and a login after it got ${v.probe.loginAfter}, with no restart.`,
        ),
        "Both designs keep who is logged in out of Postgres (a Redis session, a signed token), so an outage of the user database costs logins and reads of user rows, never sessions.",
        ...o.variants
          .filter((v) => Object.keys(v.summary.errors).some((kind) => kind.includes("no_healthy_backend")))
          .map(
            (v) =>
              `${v.label}: the proxy ejected every instance (their /readyz checks Postgres), so it refused even requests that needed no database.`,
          ),
      ],
      outcomes: Object.fromEntries(o.variants.map((v) => [v.label, v.summary.counts])),
      faultCells: o.variants.map((v) =>
        faultCell("postgres-down", v.stack, v, recoveryAfterHeal(v.summary, "Postgres returned")),
      ),
    };
  },
  invariants(o) {
    return o.variants.flatMap((v) => [
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
    ]);
  },
});
