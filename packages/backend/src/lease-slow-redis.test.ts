import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { freePort, type Service, startRedis } from "@statelab/infra";
import { createLeases, type HeldLease, type LostReason, leaseTiming } from "@statelab/lease";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { silentLogger } from "../../../tests/support/index.js";
import { createRedisClient, type RedisClient } from "./clients.js";

// A redis-server of this file's own: CLIENT PAUSE would stall every other test on the shared one.
const stateDir = mkdtempSync(path.join(os.tmpdir(), "statelab-lease-slow-"));
let redis: Service;
const clients: RedisClient[] = [];
beforeAll(async () => {
  redis = await startRedis({ stateDir, port: await freePort(), log: () => {} });
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await redis.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function client(commandTimeoutMs: number): Promise<RedisClient> {
  const c = createRedisClient(redis.url, silentLogger, { commandTimeoutMs });
  await c.connect();
  clients.push(c);
  return c;
}

describe("Redis stalls (CLIENT PAUSE WRITE): the renewal hangs", () => {
  it("onLost('deadline') fires at sentAt + ttl − drift, while Redis still holds the key: the holder stops first", async () => {
    const ttlMs = 1200;
    // A command timeout longer than the ttl, so only the lease's own deadline can end the wait.
    const leases = createLeases({ redis: await client(10_000), keyPrefix: "slow:", owner: "holder" });
    let held: HeldLease | null = null;
    const until = Date.now() + 10_000;
    while (!held && Date.now() < until) {
      held = await leases.acquire("job", ttlMs);
      if (!held) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (!held) throw new Error("never acquired");
    const lease = held;
    const lost = new Promise<[LostReason, number]>((resolve) =>
      lease.onLost((reason) => resolve([reason, performance.now()])),
    );
    const admin = await client(10_000);
    await admin.sendCommand(["CLIENT", "PAUSE", "4000", "WRITE"]);
    const pausedAt = performance.now();
    // A renewal executed just before the pause answers within milliseconds; after that nothing moves either deadline.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const holderStopsAt = lease.expiresAt;
    // Reads are not paused. Both instants are wall-clock ms on this one machine.
    const redisExpiresAt = Number(await admin.sendCommand(["PEXPIRETIME", "slow:lease:job"]));
    expect(holderStopsAt).toBeLessThan(redisExpiresAt);
    const [reason, at] = await lost;
    expect(reason).toBe("deadline");
    expect(lease.isValid()).toBe(false);
    // The timer may run late on a loaded machine; isValid() does not depend on it.
    expect(at - pausedAt).toBeLessThanOrEqual(leaseTiming(ttlMs).validForMs + 1000);
    await admin.sendCommand(["CLIENT", "UNPAUSE"]);
  }, 60_000);
});
