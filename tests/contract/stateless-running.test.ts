import path from "node:path";
import { createClient, defaultMapping, loadSigningKeys, type SigningKey } from "@statelab/check";
import { listenProxy, type RunningProxy } from "@statelab/proxy";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { expectBurstBounded, expectRotatingAddressesThrottled } from "../support/hostile.js";
import { TEST_APP_ENV, uniqueName, uniquePrefix } from "../support/index.js";
import { type RunningInstance, startInstance } from "../support/processes.js";
import { tempKeyDir } from "../support/stateless.js";
import { defineCheckSuite } from "./suite.js";

// Two real stateless processes sharing keys and Redis behind the built-in
// round-robin proxy. Ports 4722x are this file's.
let instances: RunningInstance[] = [];
let proxy: RunningProxy;
let signingKeys: SigningKey[];

beforeAll(async () => {
  const shared = { KEY_DIR: tempKeyDir(), REDIS_PREFIX: uniquePrefix("sl-running") };
  instances = await Promise.all(
    [27221, 27222].map((port) =>
      startInstance("stateless", {
        PORT: String(port),
        INSTANCE_ID: `sl-${port}`,
        DATABASE_URL: inject("databaseUrl"),
        REDIS_URL: inject("redisUrl"),
        LOG_REQUESTS: "false",
        // As the lab runs them: the proxy connects from 127.0.0.2, the one hop they trust.
        TRUST_PROXY: "127.0.0.2",
        ...TEST_APP_ENV,
        ...shared,
      }),
    ),
  );
  // The instances created the key file on start; the forged-claims checks sign with it.
  signingKeys = loadSigningKeys(path.join(shared.KEY_DIR, "jwt-keys.json"));
  proxy = await listenProxy({
    backends: instances.map((instance, i) => ({ id: `t${i + 1}`, url: instance.url })),
    strategy: "round-robin",
    healthIntervalMs: 500,
    sourceAddress: "127.0.0.2",
  });
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all(instances.map((instance) => instance.stop()));
});

defineCheckSuite({
  name: "stateless, running instance by URL",
  kind: "bearer",
  target: () => ({ baseUrl: instances[0]?.url as string, signingKeys }),
});
defineCheckSuite({
  name: "stateless, two instances behind the round-robin proxy",
  kind: "bearer",
  target: () => ({ baseUrl: proxy.url, signingKeys }),
});

describe("stateless behind the round-robin proxy", () => {
  it("one token is accepted by both instances in turn (no session lives in either process)", async () => {
    const credentials = { username: uniqueName("rr"), password: "contract-pass-1" };
    const client = createClient("bearer", proxy.url, defaultMapping);
    await client.signup(credentials).expect(201);
    const agent = await client.login(credentials);
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) served.add((await agent.get("/me").expect(200)).headers["x-instance-id"] as string);
    expect([...served].sort()).toEqual(["sl-27221", "sl-27222"]);
  });
});

describe("hostile clients against the running stateless instances (A5, A7)", () => {
  it("40 wrong passwords claiming 40 addresses, straight to an instance (it trusts only 127.0.0.2) → 429 from the 11th", async () => {
    await expectRotatingAddressesThrottled(instances[0]?.url as string);
  });

  it("the same through the proxy (it replaces the client's address headers) → 429 from the 11th", async () => {
    await expectRotatingAddressesThrottled(proxy.url);
  });

  it("40 wrong passwords at once through the proxy → at most 10 checked, the rest 429", async () => {
    await expectBurstBounded(proxy.url);
  });
});
