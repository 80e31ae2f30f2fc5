import { spawnSync } from "node:child_process";
import path from "node:path";
import { projectRoot } from "@statelab/infra";
import request from "supertest";
import { afterAll, describe, expect, inject, it } from "vitest";
import { uniquePrefix } from "../../../tests/support/index.js";
import { type RunningInstance, startInstance } from "../../../tests/support/processes.js";
import { tempKeyDir } from "../../../tests/support/stateless.js";
import { bearer, statelessLogin } from "../../../tests/support/stateless-client.js";

// Real processes on ports of this file's own (4721x, 4723x), sharing the test Postgres and Redis.
const instances: RunningInstance[] = [];
afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()));
});

async function pair(first: number, env: Record<string, string>) {
  const started = await Promise.all(
    [first, first + 1].map((port) =>
      startInstance("stateless", {
        PORT: String(port),
        INSTANCE_ID: `sl-${port}`,
        DATABASE_URL: inject("databaseUrl"),
        REDIS_URL: inject("redisUrl"),
        LOG_REQUESTS: "false",
        ...env,
      }),
    ),
  );
  instances.push(...started);
  return started as [RunningInstance, RunningInstance];
}

describe("two running instances", () => {
  it("sharing KEY_DIR (created once by whichever started first): a token from one works on the other", async () => {
    const [a, b] = await pair(27211, { KEY_DIR: tempKeyDir(), REDIS_PREFIX: uniquePrefix("rr") });
    const s = await statelessLogin(a.url);
    const res = await request(b.url).get("/me").set(bearer(s.accessToken)).expect(200);
    expect(res.headers["x-instance-id"]).toBe("sl-27212");
    // A logout on one instance is seen by the other (the denylist is shared).
    await request(b.url).post("/auth/logout").set(bearer(s.accessToken)).expect(204);
    expect((await request(a.url).get("/me").set(bearer(s.accessToken))).status).toBe(401);
  }, 60_000);

  it("with keys made per process, round-robin breaks: the other instance rejects the token", async () => {
    const [a, b] = await pair(27213, { REDIS_PREFIX: uniquePrefix("split") });
    // Not the same KEY_DIR: each made its own key, as a per-process key would.
    instances.splice(instances.indexOf(b), 1);
    await b.stop();
    const [c] = await Promise.all([
      startInstance("stateless", {
        PORT: "27215",
        DATABASE_URL: inject("databaseUrl"),
        REDIS_URL: inject("redisUrl"),
        KEY_DIR: tempKeyDir(),
        LOG_REQUESTS: "false",
      }),
    ]);
    instances.push(c as RunningInstance);
    const s = await statelessLogin(a.url);
    await request(a.url).get("/me").set(bearer(s.accessToken)).expect(200);
    expect(
      (
        await request((c as RunningInstance).url)
          .get("/me")
          .set(bearer(s.accessToken))
      ).status,
    ).toBe(401);
  }, 60_000);

  it("two concurrent refreshes with one token on two instances → exactly one wins", async () => {
    const [a, b] = await pair(27216, { KEY_DIR: tempKeyDir(), REDIS_PREFIX: uniquePrefix("race") });
    for (let round = 0; round < 5; round++) {
      const s = await statelessLogin(a.url);
      const results = await Promise.all(
        [a, b].map((instance) => request(instance.url).post("/auth/refresh").send({ refreshToken: s.refreshToken })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    }
  }, 60_000);
});

const kidOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString()).kid as string;

describe("key rotation during a rolling restart (J4)", () => {
  it("rotate, restart only A: a token A signs with the new kid verifies on B, which was not restarted", async () => {
    const keyDir = tempKeyDir();
    const env = { KEY_DIR: keyDir, REDIS_PREFIX: uniquePrefix("rotate") };
    const [a, b] = await pair(27231, env);
    const before = await statelessLogin(a.url);
    const oldKid = kidOf(before.accessToken);

    // The README's procedure: the CLI writes the new key, then the instances restart one by one.
    const rotate = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(projectRoot, "apps/stateless/src/keys-cli.ts"), "rotate"],
      { env: { PATH: process.env.PATH ?? "", KEY_DIR: keyDir }, encoding: "utf8", timeout: 20_000 },
    );
    expect(rotate.status, rotate.stderr).toBe(0);
    instances.splice(instances.indexOf(a), 1);
    await a.stop();
    const restarted = await startInstance("stateless", {
      PORT: "27231",
      INSTANCE_ID: "sl-27231",
      DATABASE_URL: inject("databaseUrl"),
      REDIS_URL: inject("redisUrl"),
      LOG_REQUESTS: "false",
      ...env,
    });
    instances.push(restarted);

    const after = await statelessLogin(restarted.url, before.credentials);
    const newKid = kidOf(after.accessToken);
    expect(newKid).not.toBe(oldKid);
    const res = await request(b.url).get("/me").set(bearer(after.accessToken)).expect(200);
    expect(res.headers["x-instance-id"]).toBe("sl-27232");
    // The old kid keeps verifying on both; B, having met the new kid, now signs with it too.
    await request(restarted.url).get("/me").set(bearer(before.accessToken)).expect(200);
    await request(b.url).get("/me").set(bearer(before.accessToken)).expect(200);
    const fromB = await statelessLogin(b.url, before.credentials);
    expect(kidOf(fromB.accessToken)).toBe(newKid);
    await request(restarted.url).get("/me").set(bearer(fromB.accessToken)).expect(200);
  }, 90_000);
});

describe("keys rotate / retire reach every running instance within 2 s, no restart (J4)", () => {
  const keysCli = (keyDir: string, ...args: string[]) => {
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(projectRoot, "apps/stateless/src/keys-cli.ts"), ...args],
      { env: { PATH: process.env.PATH ?? "", KEY_DIR: keyDir }, encoding: "utf8", timeout: 20_000 },
    );
    expect(result.status, result.stderr).toBe(0);
  };
  /** ms until `check` holds, polling every 100 ms, failing past `limitMs`. */
  const msUntil = async (check: () => Promise<boolean>, limitMs: number) => {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > limitMs) throw new Error(`not within ${limitMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return Date.now() - started;
  };

  it("after rotate both sign with the new kid, after retire the old kid's tokens → 401 on both", async () => {
    const keyDir = tempKeyDir();
    // Ports 2023x are this test's.
    const [a, b] = await pair(20231, { KEY_DIR: keyDir, REDIS_PREFIX: uniquePrefix("retire") });
    const old = await statelessLogin(a.url);
    const oldKid = kidOf(old.accessToken);
    // Used once on each: the verified-token cache now holds it there too.
    for (const instance of [a, b]) await request(instance.url).get("/me").set(bearer(old.accessToken)).expect(200);

    keysCli(keyDir, "rotate");
    const signsNew = async (url: string) => kidOf((await statelessLogin(url, old.credentials)).accessToken) !== oldKid;
    // A poll of 1 s: within 2 s on each, with no request carrying the new kid to prompt it.
    await msUntil(async () => (await signsNew(a.url)) && (await signsNew(b.url)), 2500);
    for (const instance of [a, b]) await request(instance.url).get("/me").set(bearer(old.accessToken)).expect(200);

    keysCli(keyDir, "retire", oldKid);
    const rejected = async (url: string) => (await request(url).get("/me").set(bearer(old.accessToken))).status === 401;
    await msUntil(async () => (await rejected(a.url)) && (await rejected(b.url)), 2000);
  }, 90_000);
});

describe("main.ts", () => {
  it("a bad env value exits 1 with one line naming every bad variable", () => {
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(projectRoot, "apps/stateless/src/main.ts")],
      {
        env: { PATH: process.env.PATH ?? "", JWT_ALG: "HS256", ACCESS_TTL: "-1", REVOCATION: "sometimes" },
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^stateless: invalid configuration: .*JWT_ALG.*ACCESS_TTL.*REVOCATION/);
  });
});
