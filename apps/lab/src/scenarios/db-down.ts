import type { ActiveFault } from "@statelab/faults";
import type { StackName } from "../results.js";
import { defineScenario } from "../scenario.js";
import type { AppName } from "../topology.js";
import type { LabUser } from "../users.js";
import { faultCell, recoveryAfterHeal } from "./fault-cells.js";
import { type EventTiming, type ReloginCounts, runFaultLoad } from "./fault-load.js";
import { describeErrors, eventAt, type FaultSummary, marker, summarizeFault, timelineCharts } from "./fault-summary.js";
import { type RelayedStack, relayedStack } from "./relayed.js";
import { seconds } from "./util.js";

/** What one instance, asked directly, answered while Postgres was down and after it came back. */
export interface DbProbe {
  /** A login during the outage (503 db_unavailable expected) and after it. */
  loginDuring: number;
  loginDuringCode: string | null;
  loginAfter: number;
  /** With credentials from before the outage: a route that only authenticates, and GET /me (reads the user row). */
  authOnlyDuring: number;
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

const variants: Array<{ label: string; stack: StackName & AppName }> = [
  { label: "stateful", stack: "stateful" },
  { label: "stateless, denylist", stack: "stateless" },
];

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
    const relayed = await Promise.all(variants.map((v) => relayedStack(ctx, v.stack)));
    const users = await Promise.all(relayed.map((r) => ctx.users(r.stack, (ctx.quick ? 10 : 20) + 1)));
    // The last user only logs in, directly on an instance: never in the load.
    const loginUsers = users.map((list) => list.pop() as LabUser);
    const targets = variants.map((v, i) => ({
      label: v.label,
      stack: (relayed[i] as RelayedStack).stack,
      users: users[i] ?? [],
    }));
    const probes = new Map<number, Partial<DbProbe>>();
    let fault: ActiveFault | undefined;
    ctx.log(`db-down: Postgres refused ${seconds(downAtMs)}–${seconds(upAtMs)}`);
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
            fault = await ctx.fault({
              name: "db-down: Postgres relays refuse",
              durationMs: upAtMs - downAtMs,
              start: () => {
                for (const r of relayed) r.postgres.set({ kind: "refuse" });
              },
              end: () => {
                for (const r of relayed) r.postgres.clear();
              },
            });
          },
        },
        {
          atMs: downAtMs + 1_500,
          label: "probe",
          run: async () => {
            await Promise.all(
              relayed.map(async (r, i) => {
                const instance = r.stack.instances[0];
                const user = loginUsers[i] as LabUser;
                const loadUser = users[i]?.[0];
                if (!instance || !loadUser) return;
                const [login, authOnly, me] = await Promise.all([
                  statusOf(
                    user
                      .clone()
                      .call(instance.url, "POST", "/auth/login", { username: user.username, password: user.password }),
                  ),
                  statusOf(loadUser.clone().call(instance.url, "GET", "/chat/partners")),
                  statusOf(loadUser.clone().call(instance.url, "GET", "/me")),
                ]);
                probes.set(i, {
                  loginDuring: login.status,
                  loginDuringCode: login.code,
                  authOnlyDuring: authOnly.status,
                  meDuring: me.status,
                  meDuringCode: me.code,
                });
              }),
            );
          },
        },
        { atMs: upAtMs, label: "Postgres back", run: async () => fault?.end() },
        {
          atMs: upAtMs + 1_500,
          label: "login after",
          run: async () => {
            await Promise.all(
              relayed.map(async (r, i) => {
                const instance = r.stack.instances[0];
                const user = loginUsers[i] as LabUser;
                if (!instance) return;
                const login = await statusOf(
                  user
                    .clone()
                    .call(instance.url, "POST", "/auth/login", { username: user.username, password: user.password }),
                );
                const probe = probes.get(i);
                if (probe) probe.loginAfter = login.status;
              }),
            );
          },
        },
      ],
    });
    const down = eventAt(run, "Postgres down", downAtMs);
    const up = eventAt(run, "Postgres back", upAtMs);
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
            loginDuring: probe.loginDuring ?? 0,
            loginDuringCode: probe.loginDuringCode ?? null,
            loginAfter: probe.loginAfter ?? 0,
            authOnlyDuring: probe.authOnlyDuring ?? 0,
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
          caption: `${o.rate} GET /me per second per stack through the proxy; Postgres down ${seconds(o.down.startedMs)}–${seconds(o.up.startedMs)}; probes on instance 1 directly`,
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
            v.probe.authOnlyDuring,
            withCode(v.probe.meDuring, v.probe.meDuringCode),
            v.probe.loginAfter,
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
            `(GET /chat/partners ${v.probe.authOnlyDuring}) while GET /me, which reads the user row, got ${withCode(v.probe.meDuring, v.probe.meDuringCode)}; ` +
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
        holds: v.relogin.users === 0 && v.probe.authOnlyDuring === 200 && v.probe.meDuring !== 401,
        detail: `${v.relogin.users} users answered 401; auth-only route ${v.probe.authOnlyDuring} and GET /me ${v.probe.meDuring} during the outage`,
      },
      {
        name: `logins during the outage answer 503, never 2xx: ${v.label}`,
        holds: v.probe.loginDuring === 503,
        detail: `login ${v.probe.loginDuring} ${v.probe.loginDuringCode ?? ""}`.trim(),
      },
      {
        name: `recovers without restarts within ${seconds(o.recoveryBoundMs)}: ${v.label}`,
        holds: v.probe.loginAfter === 200 && (v.summary.lastErrorAfterHealMs ?? 0) <= o.recoveryBoundMs,
        detail: `login after ${v.probe.loginAfter}; ${recoveryAfterHeal(v.summary, "Postgres returned")}`,
      },
    ]);
  },
});
