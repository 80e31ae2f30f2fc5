import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestReplicas, testReplicas } from "../../../tests/support/quorum.js";
import { createQuorumClient } from "./client.js";
import { QuorumConditionError, QuorumConfigError, QuorumUnavailableError } from "./errors.js";
import { applyToReplica, readReplica } from "./replica.js";

const key = () => `q:${randomBytes(6).toString("hex")}`;

let replicas: TestReplicas;
beforeAll(async () => {
  replicas = await testReplicas(5);
});
afterAll(() => replicas?.close());

const client = (r: number, w: number, count = 5, timeoutMs = 400) =>
  createQuorumClient({ replicas: replicas.links.slice(0, count), r, w, timeoutMs });

/** What each replica holds for `k`, read straight from it. */
const counters = (k: string, count = 5) =>
  Promise.all(replicas.links.slice(0, count).map(async (link) => (await readReplica(link, k))?.version.counter ?? 0));

describe("quorum reads and writes on real Redis", () => {
  it("a read returns the latest write, and versions only grow", async () => {
    const q = client(3, 3);
    const k = key();
    expect(await q.read(k)).toEqual({ value: null, version: null });
    const v1 = await q.write(k, "one");
    const v2 = await q.write(k, "two");
    expect(v2.counter).toBe(v1.counter + 1);
    expect(await q.read(k)).toEqual({ value: "two", version: v2 });
    const gone = await q.remove(k);
    expect(gone.counter).toBe(v2.counter + 1);
    expect(await q.read(k)).toEqual({ value: null, version: gone });
  });

  it("a replica keeps a value only if its version is newer: an older write arriving late changes nothing", async () => {
    const k = key();
    const writerA = client(1, 5);
    const v1 = await writerA.write(k, "new");
    const link = replicas.links[0];
    if (!link) throw new Error("no replica");
    expect(
      await applyToReplica(link, k, { version: { counter: v1.counter - 1, writer: "z" }, value: "old", expireAtMs: 0 }),
    ).toBe(false);
    expect((await readReplica(link, k))?.value).toBe("new");
  });

  it("read repair brings the stale replicas a read saw up to the newest version", async () => {
    const k = key();
    await client(5, 5).write(k, "v1");
    // A second writer reaches only replicas 1 and 2 (a client that knows just those two).
    await createQuorumClient({ replicas: replicas.links.slice(0, 2), r: 2, w: 2 }).write(k, "v2");
    expect(await counters(k)).toEqual([2, 2, 1, 1, 1]);
    const reader = client(3, 3);
    expect((await reader.read(k)).value).toBe("v2");
    await reader.settle();
    expect(await counters(k)).toEqual([2, 2, 2, 2, 2]);
    expect(reader.repairs()).toBe(3);
  });

  it("conditional writes: 'exists' refuses a deleted key, 'absent' a live one", async () => {
    const q = client(3, 3);
    const k = key();
    await expect(q.write(k, "x", { condition: "exists" })).rejects.toThrow(QuorumConditionError);
    await q.write(k, "x", { condition: "absent" });
    await expect(q.write(k, "y", { condition: "absent" })).rejects.toMatchObject({ code: "condition_failed" });
    await q.remove(k);
    await expect(q.write(k, "z", { condition: "exists" })).rejects.toMatchObject({ code: "condition_failed" });
  });

  it("a TTL expires the value on every replica at the same moment", async () => {
    const q = client(3, 3);
    const k = key();
    await q.write(k, "brief", { ttlMs: 150 });
    expect((await q.read(k)).value).toBe("brief");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await q.read(k)).toEqual({ value: null, version: null });
  });

  it("bad configs are rejected when the client is built", () => {
    expect(() => client(6, 3)).toThrow(QuorumConfigError);
    expect(() => client(3, 0)).toThrow(/W must be a whole number ≥ 1/);
    expect(() => createQuorumClient({ replicas: [], r: 1, w: 1 })).toThrow(/N must be/);
    expect(() => client(3, 3, 5, 0)).toThrow(/timeoutMs must be > 0/);
  });
});

describe("replicas down or silent", () => {
  it("paused replicas: unavailable within the timeout, never a partial success", async () => {
    const q = client(3, 3, 5, 300);
    const k = key();
    await q.write(k, "before");
    replicas.pause(3);
    replicas.pause(4);
    try {
      // 3 of 5 still answer: majority works.
      expect((await q.read(k)).value).toBe("before");
      await q.write(k, "during");
      replicas.pause(2);
      const started = Date.now();
      const error = await q.write(k, "lost?").catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(QuorumUnavailableError);
      expect(error).toMatchObject({ code: "unavailable", operation: "write", needed: 3, answered: 2 });
      const readError = await q.read(k).catch((e: unknown) => e);
      expect(readError).toMatchObject({ code: "unavailable", operation: "read", needed: 3 });
      // The whole request, version lookup and write, is bounded by one timeout (slack for a loaded machine).
      expect(elapsed).toBeLessThan(1500);
    } finally {
      for (const i of [2, 3, 4]) replicas.resume(i);
    }
  });
});
