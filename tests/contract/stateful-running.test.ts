import { createClient, defaultMapping } from "@statelab/check";
import { listenProxy, type RunningProxy } from "@statelab/proxy";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { expectBurstBounded, expectRotatingAddressesThrottled } from "../support/hostile.js";
import { TEST_APP_ENV, uniqueName, uniquePrefix } from "../support/index.js";
import { type RunningInstance, startInstance } from "../support/processes.js";
import { TEST_SECRET } from "../support/stateful.js";
import { defineCheckSuite } from "./suite.js";

// Two real stateful processes sharing Redis, and the built-in proxy round-robining
// between them: with sessions in Redis no stickiness is needed. Ports 4712x are this file's.
let instances: RunningInstance[] = [];
let proxy: RunningProxy;

beforeAll(async () => {
  const prefix = uniquePrefix("running");
  instances = await Promise.all(
    [27121, 27122].map((port) =>
      startInstance("stateful", {
        PORT: String(port),
        INSTANCE_ID: `sf-${port}`,
        DATABASE_URL: inject("databaseUrl"),
        REDIS_URL: inject("redisUrl"),
        REDIS_PREFIX: prefix,
        SESSION_SECRET: TEST_SECRET,
        LOG_REQUESTS: "false",
        // As the lab runs them: the proxy connects from 127.0.0.2, the one hop they trust.
        TRUST_PROXY: "127.0.0.2",
        ...TEST_APP_ENV,
      }),
    ),
  );
  proxy = await listenProxy({
    backends: instances.map((instance, i) => ({ id: `s${i + 1}`, url: instance.url })),
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
  name: "stateful, running instance by URL",
  kind: "cookie",
  target: () => ({ baseUrl: instances[0]?.url as string }),
});
defineCheckSuite({
  name: "stateful, two instances behind the round-robin proxy",
  kind: "cookie",
  target: () => ({ baseUrl: proxy.url }),
});

describe("stateful behind the round-robin proxy", () => {
  it("one session is served by both instances in turn (the session lives in Redis, not in either process)", async () => {
    const client = createClient("cookie", proxy.url, defaultMapping);
    const credentials = { username: uniqueName("rr"), password: "contract-pass-1" };
    await client.signup(credentials).expect(201);
    const agent = await client.login(credentials);
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) served.add((await agent.get("/me").expect(200)).headers["x-instance-id"] as string);
    expect([...served].sort()).toEqual(["sf-27121", "sf-27122"]);
  });
});

describe("hostile clients against the running stateful instances (A5, A7)", () => {
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
