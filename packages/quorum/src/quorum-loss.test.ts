import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestReplicas, testReplicas } from "../../../tests/support/quorum.js";
import { createQuorumClient, type QuorumClient } from "./client.js";
import { QuorumUnavailableError } from "./errors.js";
import { checkHistory, createHistory } from "./history.js";

const key = () => `q:${randomBytes(6).toString("hex")}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every way to pick `size` of `0…n-1`. */
function subsets(n: number, size: number): number[][] {
  if (size === 0) return [[]];
  if (n < size) return [];
  return [...subsets(n - 1, size), ...subsets(n - 1, size - 1).map((s) => [...s, n - 1])];
}

let replicas: TestReplicas;
beforeAll(async () => {
  replicas = await testReplicas(5);
});
afterAll(() => replicas?.close());

/** Waits until every replica link has reconnected after a restart (bounded). */
async function allConnected(q: QuorumClient) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (
      await q.read(key()).then(
        () => true,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error("the replicas did not come back within 10 s");
}

describe("N=5 R=3 W=3 with replicas killed", () => {
  it("killed replicas fail fast: unavailable, and a write whose version lookup failed is known not applied", async () => {
    const all = createQuorumClient({ replicas: replicas.links, r: 3, w: 3, timeoutMs: 2000 });
    await Promise.all([replicas.servers[0]?.stop(), replicas.servers[1]?.stop(), replicas.servers[2]?.stop()]);
    try {
      const started = Date.now();
      const error = await all.write(key(), "x").catch((e: unknown) => e);
      // Refused connections answer at once: far below the 2 s timeout.
      expect(Date.now() - started).toBeLessThan(1000);
      expect(error).toBeInstanceOf(QuorumUnavailableError);
      expect(error).toMatchObject({ code: "unavailable", maybeApplied: false });
    } finally {
      await Promise.all([0, 1, 2].map((i) => replicas.servers[i]?.start()));
    }
    await allConnected(createQuorumClient({ replicas: replicas.links, r: 5, w: 5, timeoutMs: 300 }));
  });

  it("an acknowledged write survives the loss of any N − W = 2 replicas, even the ones it reached", async () => {
    const q = createQuorumClient({ replicas: replicas.links, r: 3, w: 3, timeoutMs: 400 });
    const lossSets = subsets(5, 2);
    const keys = lossSets.map(() => key());
    // Replicas 4 and 5 are down during the writes, so each write reaches exactly W = 3 replicas (1–3)…
    await Promise.all([replicas.servers[3]?.stop(), replicas.servers[4]?.stop()]);
    const versions = [];
    for (const k of keys) versions.push(await q.write(k, `value-of-${k}`));
    // …then come back empty (persistence is off): they hold none of the writes.
    await Promise.all([replicas.servers[3]?.start(), replicas.servers[4]?.start()]);
    await allConnected(createQuorumClient({ replicas: replicas.links, r: 5, w: 5, timeoutMs: 300 }));
    for (const [i, lost] of lossSets.entries()) {
      for (const index of lost) replicas.pause(index);
      try {
        const read = await q.read(keys[i] as string);
        expect(read, `lost replicas ${lost.map((x) => x + 1).join(",")}`).toEqual({
          value: `value-of-${keys[i]}`,
          version: versions[i],
        });
      } finally {
        for (const index of lost) replicas.resume(index);
      }
    }
    await q.settle();
  });
});

describe("concurrent writers and readers with a lagging replica", () => {
  it.each([
    [3, 2, 2],
    [5, 3, 3],
    [5, 1, 5],
  ])("N=%i R=%i W=%i: the recorded history has no stale read", async (n, r, w) => {
    const history = createHistory();
    const k = key();
    const clients = Array.from({ length: 6 }, (_, i) =>
      createQuorumClient({ replicas: replicas.links.slice(0, n), r, w, timeoutMs: 300, writerId: `w${i}` }),
    );
    const until = Date.now() + 1500;
    let lagging = true;
    const lag = (async () => {
      // Replica 1 keeps stalling and catching up: paused 150 ms, running 50 ms.
      while (Date.now() < until) {
        replicas.pause(0);
        await sleep(150);
        replicas.resume(0);
        await sleep(50);
      }
      lagging = false;
    })();
    const workers = clients.map(async (q, i) => {
      for (let op = 0; op < 2000 && (lagging || op === 0); op++) {
        if (i < 3) await history.write(`writer-${i}`, k, () => q.write(k, `${i}:${op}`));
        else await history.read(`reader-${i}`, k, () => q.read(k));
      }
    });
    await Promise.all([lag, ...workers]);
    await Promise.all(clients.map((q) => q.settle()));
    const result = checkHistory(history.ops);
    expect(result.reads).toBeGreaterThan(20);
    expect(result.writes).toBeGreaterThan(20);
    expect(result.anomalies).toEqual([]);
    expect(result.staleReads).toBe(0);
  });
});
