import { freePort } from "@statelab/infra";
import request from "supertest";
import { afterAll, describe, expect, inject, it } from "vitest";
import { testPool, uniquePrefix } from "./support/index.js";
import { type RunningInstance, startInstance } from "./support/processes.js";
import { TEST_SECRET } from "./support/stateful.js";
import { statefulLogin } from "./support/stateful-client.js";
import { tempKeyDir } from "./support/stateless.js";
import { statelessLogin } from "./support/stateless-client.js";

const instances: RunningInstance[] = [];
afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.stop()));
});

interface LeaseView {
  leases: Array<{ name: string; isHolder: boolean; token: number; renewals: number }>;
  jobs: Array<{ name: string; runs: number }>;
}
const leaseOf = async (instance: RunningInstance) => {
  const res = await request(instance.url).get("/lease").expect(200);
  return (res.body as LeaseView).leases.find((lease) => lease.name === "login-stats");
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil<T>(read: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe("the login-statistics rollup: a singleton job in both backends under one lease", () => {
  it("one stateful and one stateless instance: exactly one holds and rolls up; kill it → the other takes over", async () => {
    const pool = await testPool();
    const prefix = uniquePrefix("job");
    const ttlMs = 900;
    const shared = {
      DATABASE_URL: inject("databaseUrl"),
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: prefix,
      LOG_REQUESTS: "false",
      LOGIN_STATS_EVERY: "1",
      LEASE_TTL_MS: String(ttlMs),
    };
    const [stateful, stateless] = await Promise.all([
      freePort().then((port) =>
        startInstance("stateful", { ...shared, PORT: String(port), SESSION_SECRET: TEST_SECRET }, 90_000),
      ),
      freePort().then((port) =>
        startInstance("stateless", { ...shared, PORT: String(port), KEY_DIR: tempKeyDir() }, 90_000),
      ),
    ]);
    instances.push(stateful, stateless);
    const s = await statefulLogin(stateful.url);
    await statelessLogin(stateless.url);
    await request(stateless.url)
      .post("/auth/login")
      .send({ ...s.credentials, password: "wrong-password-1" })
      .expect(401);

    // Counted by both backends in Redis, rolled up into Postgres by whichever holds the lease.
    const row = await waitUntil(async () => {
      const result = await pool.query<{ succeeded: string; failed: string; fence_token: string }>(
        "SELECT sum(succeeded) AS succeeded, sum(failed) AS failed, max(fence_token) AS fence_token FROM login_stats WHERE deployment = $1",
        [prefix],
      );
      const first = result.rows[0];
      return first && Number(first.succeeded) === 2 && Number(first.failed) === 1 ? first : undefined;
    }, 15_000);
    expect(Number(row.fence_token)).toBeGreaterThan(0);

    const views = [await leaseOf(stateful), await leaseOf(stateless)];
    expect(views.filter((view) => view?.isHolder)).toHaveLength(1);
    const holder = views[0]?.isHolder ? stateful : stateless;
    const holderToken = views.find((view) => view?.isHolder)?.token ?? 0;
    const other = holder === stateful ? stateless : stateful;
    const metrics = (await request(holder.url).get("/metrics").expect(200)).text;
    expect(metrics).toMatch(/lease_holder\{lease="login-stats",instance="[^"]+"\} 1/);
    expect(metrics).toMatch(/lease_job_runs_total\{lease="login-stats",instance="[^"]+"\} [1-9]/);
    const otherJobs = (await request(other.url).get("/lease").expect(200)).body as LeaseView;
    expect(otherJobs.jobs[0]?.runs).toBe(0);

    const killedAt = Date.now();
    holder.child.kill("SIGKILL");
    const taken = await waitUntil(async () => {
      const view = await leaseOf(other);
      return view?.isHolder ? view : undefined;
    }, 10_000);
    // ttl + one renewal interval, plus scheduling slack on a loaded machine.
    expect(Date.now() - killedAt).toBeLessThan(ttlMs + ttlMs / 3 + 2000);
    expect(taken.token).toBeGreaterThan(holderToken);
  }, 180_000);
});
