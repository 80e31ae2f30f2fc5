import pg from "pg";
import request from "supertest";
import { afterAll, describe, expect, inject, it } from "vitest";
import { uniquePrefix } from "../../../tests/support/index.js";
import { type RunningInstance, startInstance } from "../../../tests/support/processes.js";
import { TEST_SECRET } from "../../../tests/support/stateful.js";
import { sleep, statefulLogin } from "../../../tests/support/stateful-client.js";

// Real processes on fixed ports of this file's own (4711x), sharing the test Postgres and Redis.
const instances: RunningInstance[] = [];
afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()));
});

async function start(port: number, env: Record<string, string>) {
  const instance = await startInstance("stateful", {
    PORT: String(port),
    INSTANCE_ID: `sf-${port}`,
    DATABASE_URL: inject("databaseUrl"),
    REDIS_URL: inject("redisUrl"),
    SESSION_SECRET: TEST_SECRET,
    LOG_REQUESTS: "false",
    ...env,
  });
  instances.push(instance);
  return instance;
}

describe("two running instances", () => {
  it("SESSION_STORE=redis: either instance serves the cookie; memory: only the one that made it", async () => {
    const prefix = uniquePrefix("pair");
    const [a, b] = await Promise.all([start(27111, { REDIS_PREFIX: prefix }), start(27112, { REDIS_PREFIX: prefix })]);
    const shared = await statefulLogin(a.url);
    const onB = await request(b.url).get("/me").set("Cookie", shared.cookie).expect(200);
    expect(onB.headers["x-instance-id"]).toBe("sf-27112");

    const memPrefix = uniquePrefix("mem");
    const [m1, m2] = await Promise.all([
      start(27113, { REDIS_PREFIX: memPrefix, SESSION_STORE: "memory" }),
      start(27114, { REDIS_PREFIX: memPrefix, SESSION_STORE: "memory" }),
    ]);
    const local = await statefulLogin(m1.url);
    await request(m1.url).get("/me").set("Cookie", local.cookie).expect(200);
    expect((await request(m2.url).get("/me").set("Cookie", local.cookie)).status).toBe(401);
  }, 60_000);

  it("a paused instance cannot resurrect a session logged out elsewhere while it slept", async () => {
    // SESSION_TTL=2 → the idle TTL is pushed forward (a session write) after 200 ms of use.
    const prefix = uniquePrefix("pause");
    const [a, b] = await Promise.all([
      start(27115, { REDIS_PREFIX: prefix, SESSION_TTL: "2" }),
      start(27116, { REDIS_PREFIX: prefix, SESSION_TTL: "2" }),
    ]);
    const s = await statefulLogin(a.url);
    await sleep(300);

    // Hold the user's row so A's PATCH /me stops after it has loaded the session and before it saves it.
    const db = new pg.Client({ connectionString: inject("databaseUrl") });
    await db.connect();
    try {
      await db.query("BEGIN");
      await db.query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [s.userId]);
      const pending = request(a.url)
        .patch("/me")
        .set("Cookie", s.cookie)
        .set("X-CSRF-Token", s.csrfToken)
        .send({ displayName: "from A" });
      const inFlight = pending.then((res) => res);
      await sleep(300);
      a.child.kill("SIGSTOP");

      // Meanwhile, on B, the user logs out.
      await request(b.url).post("/auth/logout").set("Cookie", s.cookie).set("X-CSRF-Token", s.csrfToken).expect(204);
      await db.query("COMMIT");
      a.child.kill("SIGCONT");
      const late = await inFlight;
      expect(late.status).toBe(200); // the write A was doing completes…
      await sleep(200);
      // …but its session save does not bring the logged-out session back.
      expect((await request(b.url).get("/me").set("Cookie", s.cookie)).status).toBe(401);
      expect((await request(a.url).get("/me").set("Cookie", s.cookie)).status).toBe(401);
    } finally {
      a.child.kill("SIGCONT");
      await db.end();
    }
  }, 60_000);
});
