import { randomBytes } from "node:crypto";
import path from "node:path";
import { leaseTiming } from "@statelab/lease";
import pg from "pg";
import { defineScenario, type ScenarioContext } from "../../compare/scenario.js";
import { type Child, Supervisor, tsxCommand } from "../../stack/children.js";
import { ACQUIRED, REFUSED, type WorkerEvent, waitForEvent, workerEvents } from "./lease-events.js";
import {
  type HandoffRound,
  type LeaseHandoffObservations,
  leaseHandoffInvariants,
  measureLeaseHandoff,
  type Variant,
  type VariantKey,
} from "./lease-handoff-report.js";

const WORKERS = 2;
const TTL_MS = 600;
const STALL_MS = 300;
const WRITE_EVERY_MS = 200;
const SLACK_MS = 1000;

const plans: Array<{ key: VariantKey; label: string; isFenced: boolean }> = [
  { key: "fenced", label: "fence checked (LEASE_FENCE=true)", isFenced: true },
  { key: "unfenced", label: "no fence check (a plain lock)", isFenced: false },
];

interface Workers {
  outputs(): string[];
  byId(id: string): Child;
}

async function startWorkers(
  ctx: ScenarioContext,
  supervisor: Supervisor,
  key: VariantKey,
  resource: string,
  isFenced: boolean,
) {
  const ids = Array.from({ length: WORKERS }, (_, i) => `${key}-${i + 1}`);
  const children: Child[] = ids.map((id) =>
    supervisor.add({
      name: `lease-worker ${id}`,
      ...tsxCommand("apps/lab/src/scenarios/lease/lease-worker.ts"),
      env: {
        DATABASE_URL: ctx.shared.databaseUrl,
        REDIS_URL: ctx.shared.redisUrl,
        REDIS_PREFIX: `${ctx.shared.redisPrefix}${resource}:`,
        WORKER_ID: id,
        LEASE_NAME: resource,
        LEASE_TTL_MS: String(TTL_MS),
        LEASE_FENCE: String(isFenced),
        WRITE_EVERY_MS: String(WRITE_EVERY_MS),
        WRITE_STALL_MS: String(STALL_MS),
      },
      isReady: async (): Promise<boolean> => workerEvents(child(id).output()).some((e) => e.msg === "ready"),
      logFile: path.join(ctx.shared.logDir, `lease-worker-${id}.log`),
    }),
  );
  const child = (id: string): Child => children[ids.indexOf(id)] as Child;
  await Promise.all(children.map((c) => c.start()));
  return { outputs: () => children.map((c) => c.output()), byId: child } satisfies Workers;
}

/** The worker that acquired last (every worker is running, so it holds or is about to lose). */
const latestHolder = (workers: Workers): WorkerEvent | undefined =>
  workers
    .outputs()
    .flatMap(workerEvents)
    .filter((e) => e.msg === ACQUIRED)
    .sort((x, y) => x.at - y.at)
    .at(-1);

async function pauseRound(workers: Workers): Promise<HandoffRound> {
  const timing = leaseTiming(TTL_MS);
  const current = latestHolder(workers);
  if (!current) throw new Error("lease-handoff: no worker holds the lease");
  // The holder found its lease valid and is now stalled before its write: freeze it there.
  await waitForEvent(workers.outputs, (e) => e.worker === current.worker && e.msg === "writing", Date.now(), 5000);
  const holder = workers.byId(current.worker);
  const pausedAt = Date.now();
  holder.pause();
  const round: HandoffRound = {
    holder: current.worker,
    holderToken: current.token ?? 0,
    takeover: null,
    takeoverToken: null,
    handoffMs: null,
    staleWrite: "none",
  };
  try {
    const takeover = await waitForEvent(
      workers.outputs,
      (e) => e.msg === ACQUIRED && e.worker !== current.worker,
      pausedAt,
      TTL_MS + timing.renewEveryMs + SLACK_MS + 3000,
    );
    Object.assign(round, {
      takeover: takeover.worker,
      takeoverToken: takeover.token,
      handoffMs: takeover.at - pausedAt,
    });
    await waitForEvent(workers.outputs, (e) => e.worker === takeover.worker && e.msg === "wrote", takeover.at, 5000);
  } finally {
    const resumedAt = Date.now();
    holder.resume();
    const outcome = await waitForEvent(
      workers.outputs,
      (e) => e.worker === current.worker && (e.msg === "wrote" || e.msg === REFUSED),
      resumedAt,
      3000,
    ).catch(() => null);
    round.staleWrite = outcome === null ? "none" : outcome.msg === REFUSED ? "refused" : "accepted";
  }
  return round;
}

async function acceptedWrites(databaseUrl: string, resource: string): Promise<Variant["writes"]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ owner: string; token: string }>(
      "SELECT owner, token FROM lease_demo_writes WHERE resource = $1 ORDER BY id",
      [resource],
    );
    return result.rows.map((row) => ({ owner: row.owner, token: Number(row.token) }));
  } finally {
    await client.end();
  }
}

export const leaseHandoff = defineScenario({
  id: "lease-handoff",
  title: "Lease handoff: one writer at a time, with and without fencing",
  question:
    "When the lease holder is paused mid-write past its ttl, how fast does another take over, and does the resumed holder's stale write land?",
  timing: {
    quick: { estimateSeconds: 15, rounds: 3 },
    full: { estimateSeconds: 40, rounds: 8 },
  },
  async run(ctx, { rounds }): Promise<LeaseHandoffObservations> {
    const run = randomBytes(3).toString("hex");
    // Both variants at once (own lease, own resource): the workers idle between writes.
    const variants = await Promise.all(
      plans.map(async (plan): Promise<Variant> => {
        const resource = `handoff-${plan.key}-${run}`;
        const bar = ctx.progress(plan.label, rounds);
        // Its own supervisor: the workers are SIGKILLed even if the lab exits mid-run.
        const supervisor = new Supervisor();
        const done: HandoffRound[] = [];
        try {
          const workers = await startWorkers(ctx, supervisor, plan.key, resource, plan.isFenced);
          // A fresh name is quarantined for one ttl (Redis never saw its counter), then one worker acquires.
          await waitForEvent(workers.outputs, (e) => e.msg === ACQUIRED, 0, 15_000);
          for (let i = 0; i < rounds; i++) {
            done.push(await pauseRound(workers));
            bar.update(i + 1);
          }
        } finally {
          await supervisor.stopAll();
          bar.done();
        }
        return { ...plan, rounds: done, writes: await acceptedWrites(ctx.shared.databaseUrl, resource) };
      }),
    );
    const timing = leaseTiming(TTL_MS);
    return {
      workers: WORKERS,
      ttlMs: TTL_MS,
      renewEveryMs: timing.renewEveryMs,
      stallMs: STALL_MS,
      slackMs: SLACK_MS,
      variants,
    };
  },
  measure: measureLeaseHandoff,
  invariants: leaseHandoffInvariants,
});
