import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { projectRoot, startRedis } from "@statelab/infra";
import { leaseTiming } from "@statelab/lease";
import type pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { testPool, uniqueName, uniquePrefix } from "../../../../../tests/support/index.js";
import { type SpawnedProcess, spawnTsx } from "../../../../../tests/support/processes.js";
import { freePort } from "../../stack/stack.js";
import { ACQUIRED, LOST, REFUSED, type WorkerEvent, waitForEvent, workerEvents } from "./lease-events.js";

const WORKER = path.join(projectRoot, "apps", "lab", "src", "scenarios", "lease", "lease-worker.ts");
const running: SpawnedProcess[] = [];
afterEach(async () => {
  for (const worker of running.splice(0)) {
    worker.child.kill("SIGCONT");
    worker.child.kill("SIGKILL");
    await worker.exited;
  }
});

let pool: pg.Pool;
beforeAll(async () => {
  pool = await testPool();
});

interface Workers {
  all: SpawnedProcess[];
  outputs: () => string[];
  byId(id: string): SpawnedProcess;
}

async function startWorkers(ids: string[], env: Record<string, string>): Promise<Workers> {
  const all = ids.map((id) => spawnTsx(WORKER, [], { ...env, WORKER_ID: id }));
  running.push(...all);
  const outputs = () => all.map((worker) => worker.output());
  // Generous: on a loaded 2-core machine starting tsx processes takes many seconds.
  for (const id of ids) await waitForEvent(outputs, (e) => e.worker === id && e.msg === "ready", 0, 90_000);
  return { all, outputs, byId: (id) => all[ids.indexOf(id)] as SpawnedProcess };
}

const rows = async (resource: string) =>
  (
    await pool.query<{ owner: string; token: string }>(
      "SELECT owner, token FROM lease_demo_writes WHERE resource = $1 ORDER BY id",
      [resource],
    )
  ).rows.map((row) => ({ owner: row.owner, token: Number(row.token) }));

/** Accepted writes whose token is below one already accepted: a stale holder wrote after a newer one. */
const overlaps = (written: Array<{ token: number }>) => {
  let highest = 0;
  let count = 0;
  for (const { token } of written) {
    if (token < highest) count += 1;
    highest = Math.max(highest, token);
  }
  return count;
};

const TTL_MS = 1500;
const timing = leaseTiming(TTL_MS);
/** Process scheduling on a loaded 2-core machine: on top of ttl + one renewal interval. */
const SLACK_MS = 1500;

describe.each([
  { fence: true, label: "fence on: the resumed holder's write is refused" },
  { fence: false, label: "fence off: the resumed holder's stale write goes through" },
])("holder SIGSTOPped mid-write past its ttl — $label", ({ fence }) => {
  it("another worker takes over within ttl + one renewal interval; the old token's write is judged by the fence", async () => {
    const resource = uniqueName("handoff");
    const workers = await startWorkers(["a", "b"], {
      DATABASE_URL: inject("databaseUrl"),
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: uniquePrefix("lease"),
      LEASE_NAME: resource,
      LEASE_TTL_MS: String(TTL_MS),
      LEASE_FENCE: String(fence),
      WRITE_EVERY_MS: "300",
      WRITE_STALL_MS: "1000",
    });
    const first = await waitForEvent(workers.outputs, (e) => e.msg === ACQUIRED, 0, 15_000);
    const holder = workers.byId(first.worker);
    // The holder checked its lease and is now stalled before its write: freeze it there.
    const writing = await waitForEvent(
      workers.outputs,
      (e) => e.worker === first.worker && e.msg === "writing",
      Date.now(),
      10_000,
    );
    const pausedAt = Date.now();
    holder.child.kill("SIGSTOP");
    expect(pausedAt - writing.at).toBeLessThan(1000);
    const takeover = await waitForEvent(
      workers.outputs,
      (e) => e.msg === ACQUIRED && e.worker !== first.worker,
      pausedAt,
      TTL_MS + timing.renewEveryMs + SLACK_MS,
    );
    expect(takeover.at - pausedAt).toBeLessThanOrEqual(TTL_MS + timing.renewEveryMs + SLACK_MS);
    expect(takeover.token).toBeGreaterThan(first.token ?? 0);
    await waitForEvent(workers.outputs, (e) => e.worker === takeover.worker && e.msg === "wrote", pausedAt, 10_000);

    // Taken before the signal: the worker may print within the same millisecond.
    const resumedAt = Date.now();
    holder.child.kill("SIGCONT");
    const outcome = await waitForEvent(
      workers.outputs,
      (e) => e.worker === first.worker && (e.msg === "wrote" || e.msg === REFUSED),
      resumedAt,
      10_000,
    );
    expect(outcome.token).toBe(first.token);
    const written = await rows(resource);
    if (fence) {
      expect(outcome.msg).toBe(REFUSED);
      expect(overlaps(written)).toBe(0);
    } else {
      expect(outcome).toMatchObject({ msg: "wrote", isStale: true });
      expect(overlaps(written)).toBeGreaterThanOrEqual(1);
    }
    // The resumed holder's renewal comes late (or its write was refused): it stops acting.
    await waitForEvent(
      workers.outputs,
      (e) => e.worker === first.worker && (e.msg === LOST || e.msg === REFUSED),
      resumedAt,
      10_000,
    );
  }, 180_000);
});

describe("Redis restarted (no persistence: every lease and counter forgotten)", () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "statelab-lease-redis-"));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it("the holder loses its lease, one worker re-acquires with a larger token, never two acting at once", async () => {
    const port = await freePort();
    const redisOptions = { stateDir, port, log: () => {} };
    let redis = await startRedis(redisOptions);
    try {
      const resource = uniqueName("restart");
      const ttlMs = 1000;
      const workers = await startWorkers(["a", "b", "c"], {
        DATABASE_URL: inject("databaseUrl"),
        REDIS_URL: redis.url,
        REDIS_PREFIX: uniquePrefix("lease"),
        LEASE_NAME: resource,
        LEASE_TTL_MS: String(ttlMs),
        WRITE_EVERY_MS: "100",
      });
      const first = await waitForEvent(workers.outputs, (e) => e.msg === ACQUIRED, 0, 15_000);
      await waitForEvent(workers.outputs, (e) => e.worker === first.worker && e.msg === "wrote", first.at, 10_000);
      await redis.stop();
      const stoppedAt = Date.now();
      await waitForEvent(workers.outputs, (e) => e.worker === first.worker && e.msg === LOST, stoppedAt, 10_000);
      redis = await startRedis(redisOptions);
      const again = await waitForEvent(workers.outputs, (e) => e.msg === ACQUIRED, stoppedAt, 20_000);
      expect(again.token).toBeGreaterThan(first.token ?? 0);
      await waitForEvent(workers.outputs, (e) => e.worker === again.worker && e.msg === "wrote", again.at, 10_000);

      // Acting intervals from each worker's own events: from an acquire to its loss (or now).
      const events = workers.outputs().flatMap(workerEvents);
      const intervals = acting(events);
      expect(intervals.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < intervals.length; i++) {
        expect((intervals[i] as Interval).from).toBeGreaterThanOrEqual((intervals[i - 1] as Interval).to);
      }
      // Every decision to act (a run that found its lease valid) falls inside that worker's interval.
      for (const run of events.filter((e) => e.msg === "writing")) {
        const inside = intervals.some((i) => i.worker === run.worker && i.from <= run.at && run.at <= i.to);
        expect(inside, JSON.stringify({ run, intervals })).toBe(true);
      }
      expect(overlaps(await rows(resource))).toBe(0);
    } finally {
      await redis.stop();
    }
  }, 180_000);
});

interface Interval {
  worker: string;
  from: number;
  to: number;
}

function acting(events: WorkerEvent[]): Interval[] {
  const intervals: Interval[] = [];
  const open = new Map<string, number>();
  for (const event of [...events].sort((x, y) => x.at - y.at)) {
    if (event.msg === ACQUIRED) open.set(event.worker, event.at);
    if (event.msg === LOST || event.msg === REFUSED) {
      const from = open.get(event.worker);
      if (from !== undefined) intervals.push({ worker: event.worker, from, to: event.at });
      open.delete(event.worker);
    }
  }
  for (const [worker, from] of open) intervals.push({ worker, from, to: Date.now() });
  return intervals.sort((x, y) => x.from - y.from);
}
