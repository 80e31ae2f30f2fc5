import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestReplicas, testReplicas } from "../../../tests/support/quorum.js";

/**
 * What Redis itself offers instead (docs/quorum.md, "beyond one machine"): a primary
 * with replicas and WAIT, on loopback. WAIT counts acknowledgements; it never undoes
 * a write that got fewer.
 */
let servers: TestReplicas;
const cmd = (index: number, ...args: string[]) => {
  const link = servers.links[index];
  if (!link) throw new Error(`no server ${index}`);
  return link.connection.sendCommand(args);
};

beforeAll(async () => {
  servers = await testReplicas(3);
  // Sync at once instead of waiting 5 s for more replicas to join a diskless transfer.
  await cmd(0, "CONFIG", "SET", "repl-diskless-sync-delay", "0");
  const primary = servers.servers[0];
  if (!primary) throw new Error("no primary");
  // The primary wants its ACL user's password, like every Redis statelab starts.
  const { username, password } = new URL(primary.url);
  for (const replica of [1, 2]) {
    await cmd(replica, "CONFIG", "SET", "masteruser", decodeURIComponent(username));
    await cmd(replica, "CONFIG", "SET", "masterauth", decodeURIComponent(password));
    await cmd(replica, "REPLICAOF", "127.0.0.1", String(primary.port));
  }
  const deadline = Date.now() + 15_000;
  while (!/connected_slaves:2/.test(String(await cmd(0, "INFO", "replication")))) {
    if (Date.now() > deadline) throw new Error("the replicas did not connect within 15 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});
afterAll(() => servers?.close());

describe("Redis WAIT on a loopback primary with two replicas", () => {
  it("WAIT 2 returns 2 when both replicas acknowledged; the value is readable on a replica", async () => {
    await cmd(0, "SET", "wait:a", "1");
    expect(await cmd(0, "WAIT", "2", "2000")).toBe(2);
    expect(await cmd(1, "GET", "wait:a")).toBe("1");
  });

  it("with one replica paused WAIT times out with 1, and the write stays applied on the primary anyway", async () => {
    servers.pause(2);
    try {
      await cmd(0, "SET", "wait:b", "2");
      const started = Date.now();
      expect(await cmd(0, "WAIT", "2", "300")).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      // Not a quorum write: nothing is rolled back; the caller only learns it is under-replicated.
      expect(await cmd(0, "GET", "wait:b")).toBe("2");
    } finally {
      servers.resume(2);
    }
  });
});
