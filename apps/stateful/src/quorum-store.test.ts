import request from "supertest";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { uniquePrefix } from "../../../tests/support/index.js";
import { type RunningInstance, startInstance } from "../../../tests/support/processes.js";
import { type TestReplicas, testReplicas } from "../../../tests/support/quorum.js";
import { TEST_SECRET } from "../../../tests/support/stateful.js";
import { sleep, statefulLogin } from "../../../tests/support/stateful-client.js";
import { loadStatefulConfig } from "./config.js";

describe("SESSION_STORE=quorum configuration", () => {
  it("needs QUORUM_REDIS_URLS, and R/W that fit the replicas", () => {
    expect(() => loadStatefulConfig({ SESSION_STORE: "quorum" })).toThrow(/QUORUM_REDIS_URLS is required/);
    const urls = "redis://127.0.0.1:1,redis://127.0.0.1:2,redis://127.0.0.1:3";
    expect(() => loadStatefulConfig({ SESSION_STORE: "quorum", QUORUM_REDIS_URLS: urls, QUORUM_R: "4" })).toThrow(
      /QUORUM_R\/QUORUM_W: .*R = 4 is more than the 3 replicas/,
    );
    expect(() => loadStatefulConfig({ SESSION_STORE: "quorum", QUORUM_REDIS_URLS: "http://x" })).toThrow(
      /QUORUM_REDIS_URLS/,
    );
    expect(loadStatefulConfig({ SESSION_STORE: "quorum", QUORUM_REDIS_URLS: urls }).quorum).toEqual({
      urls: urls.split(","),
      r: 2,
      w: 2,
      timeoutMs: 500,
    });
  });
});

// A real process on a fixed port of this file's own (478xx), its sessions on 3 replicas of its own.
let replicas: TestReplicas;
let instance: RunningInstance;
beforeAll(async () => {
  replicas = await testReplicas(3);
  instance = await startInstance("stateful", {
    PORT: "27801",
    DATABASE_URL: inject("databaseUrl"),
    REDIS_URL: inject("redisUrl"),
    REDIS_PREFIX: uniquePrefix("quorum"),
    SESSION_SECRET: TEST_SECRET,
    LOG_REQUESTS: "false",
    SESSION_STORE: "quorum",
    QUORUM_REDIS_URLS: replicas.servers.map((s) => s.url).join(","),
    QUORUM_TIMEOUT_MS: "300",
  });
}, 60_000);
afterAll(async () => {
  await instance?.stop();
  await replicas?.close();
});

describe("a stateful server on a quorum of 3 Redis servers (R = W = 2)", () => {
  it("keeps its sessions through the loss of one Redis node; stops cleanly (503) at two", async () => {
    const before = await statefulLogin(instance.url);
    const other = await statefulLogin(instance.url);
    await request(instance.url).get("/me").set("Cookie", before.cookie).expect(200);

    await replicas.servers[0]?.stop();
    // The session made before the loss still works, and so do a login, a logout and a session list.
    const me = await request(instance.url).get("/me").set("Cookie", before.cookie).expect(200);
    expect(me.body.user.id).toBe(before.userId);
    const after = await statefulLogin(instance.url);
    await request(instance.url).get("/me").set("Cookie", after.cookie).expect(200);
    const list = await request(instance.url)
      .get("/auth/sessions")
      .set("Cookie", after.cookie)
      .set("X-CSRF-Token", after.csrfToken)
      .expect(200);
    expect(list.body.sessions).toHaveLength(1);
    await request(instance.url)
      .post("/auth/logout")
      .set("Cookie", other.cookie)
      .set("X-CSRF-Token", other.csrfToken)
      .expect(204);
    expect((await request(instance.url).get("/me").set("Cookie", other.cookie)).body.error.code).toBe(
      "session_expired",
    );

    // Two of three lost: no quorum. A clear 503, fast, never a 401 that would log the user out.
    await replicas.servers[1]?.stop();
    const started = Date.now();
    const down = await request(instance.url).get("/me").set("Cookie", before.cookie);
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe("store_unavailable");
    expect(Date.now() - started).toBeLessThan(2000);

    // One replica back (empty: persistence is off) restores the quorum; the survivor still holds the sessions.
    await replicas.servers[1]?.start();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await request(instance.url).get("/me").set("Cookie", before.cookie)).status;
      if (status !== 200) await sleep(200);
    }
    expect(status).toBe(200);
    expect((await request(instance.url).get("/me").set("Cookie", other.cookie)).status).toBe(401);
  }, 60_000);
});
