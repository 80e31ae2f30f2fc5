import { spawnSync } from "node:child_process";
import path from "node:path";
import { projectRoot } from "@statelab/infra";
import pg from "pg";
import request from "supertest";
import { describe, expect, inject, it } from "vitest";
import { uniquePrefix } from "../../../tests/support/index.js";
import { startInstance } from "../../../tests/support/processes.js";
import { TEST_SECRET } from "../../../tests/support/stateful.js";
import { sleep, statefulLogin } from "../../../tests/support/stateful-client.js";

describe("main.ts", () => {
  it("a bad env value exits 1 with one clear line naming every bad variable, before connecting anywhere", () => {
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(projectRoot, "apps/stateful/src/main.ts")],
      {
        env: { PATH: process.env.PATH ?? "", SESSION_TTL: "soon", SESSION_STORE: "disk", PORT: "99999" },
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^stateful: invalid configuration: .*PORT.*SESSION_STORE.*SESSION_TTL/);
  });

  it("SIGTERM finishes the in-flight request, then exits 0 (graceful shutdown)", async () => {
    const instance = await startInstance("stateful", {
      PORT: "27131",
      DATABASE_URL: inject("databaseUrl"),
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: uniquePrefix("term"),
      SESSION_SECRET: TEST_SECRET,
    });
    const exited = new Promise<number | null>((resolve) => instance.child.once("exit", (code) => resolve(code)));
    const s = await statefulLogin(instance.url);
    // Hold the user's row so PATCH /me is still running when the signal lands.
    const db = new pg.Client({ connectionString: inject("databaseUrl") });
    await db.connect();
    try {
      await db.query("BEGIN");
      await db.query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [s.userId]);
      const inFlight = request(instance.url)
        .patch("/me")
        .set("Cookie", s.cookie)
        .set("X-CSRF-Token", s.csrfToken)
        .send({ displayName: "during shutdown" })
        .then((res) => res.status);
      await sleep(300);
      instance.child.kill("SIGTERM");
      await sleep(300);
      await db.query("COMMIT");
      await expect(inFlight).resolves.toBe(200);
      await expect(exited).resolves.toBe(0);
    } finally {
      await db.end();
    }
  }, 30_000);
});
