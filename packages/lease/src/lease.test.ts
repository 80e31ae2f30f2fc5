import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { testRedis, uniqueName, uniquePrefix } from "../../../tests/support/index.js";
import { createLeases, type HeldLease, type Leases, type LostReason } from "./lease.js";

/** A client of its own per lease holder (each on the shared test Redis, closed after the file). */
const client = testRedis;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The first acquire of a name meets the quarantine (Redis never saw it): retry for a bounded time. */
async function acquireWithin(leases: Leases, name: string, ttlMs: number, withinMs: number): Promise<HeldLease> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const held = await leases.acquire(name, ttlMs);
    if (held) return held;
    if (Date.now() > deadline) throw new Error(`${leases.owner} did not acquire ${name} within ${withinMs} ms`);
    await sleep(10);
  }
}

describe("acquire / release", () => {
  it("a new name is quarantined for one ttl, then acquired; others get null until release; tokens grow", async () => {
    const prefix = uniquePrefix("lease");
    const a = createLeases({ redis: await client(), keyPrefix: prefix, owner: "a" });
    const b = createLeases({ redis: await client(), keyPrefix: prefix, owner: "b" });
    expect(await a.acquire("job", 300)).toBeNull();
    const first = await acquireWithin(a, "job", 300, 3000);
    expect(first.token).toBe(1);
    expect(first.isValid()).toBe(true);
    expect(first.expiresAt).toBeGreaterThan(Date.now());
    expect(await b.acquire("job", 300)).toBeNull();
    expect(b.stats()[0]?.seenHolder).toBe("1:a");
    await first.release();
    expect(first.isValid()).toBe(false);
    const second = await b.acquire("job", 300);
    expect(second?.token).toBe(2);
    await second?.release();
  });

  it("release by a holder whose lease was taken over deletes nothing of the new holder's", async () => {
    const prefix = uniquePrefix("lease");
    const redis = await client();
    const a = createLeases({ redis, keyPrefix: prefix, owner: "a" });
    const b = createLeases({ redis, keyPrefix: prefix, owner: "b" });
    const held = await acquireWithin(a, "job", 200, 3000);
    await redis.del(`${prefix}lease:job`); // as if it expired while a was paused
    const other = await acquireWithin(b, "job", 200, 3000);
    await held.release();
    expect(await redis.get(`${prefix}lease:job`)).toBe(`${other.token}:b`);
    await other.release();
  });

  it("bad owner → invalid_lease_options when built", async () => {
    const redis = await client();
    expect(() => createLeases({ redis, keyPrefix: "x:", owner: "has space" })).toThrow(
      expect.objectContaining({ code: "invalid_lease_options" }),
    );
  });
});

describe("renewal and onLost", () => {
  it("renewal every ttl/3 keeps the lease well past its ttl", async () => {
    const prefix = uniquePrefix("lease");
    const redis = await client();
    const a = createLeases({ redis, keyPrefix: prefix, owner: "a" });
    const held = await acquireWithin(a, "job", 1500, 5000);
    await sleep(2500);
    expect(held.isValid()).toBe(true);
    expect(a.stats()[0]?.renewals).toBeGreaterThanOrEqual(3);
    expect(await redis.pTTL(`${prefix}lease:job`)).toBeGreaterThan(0);
    await held.release();
  });

  it("the key taken away → onLost('not_owner') at the next renewal, before the old ttl would end", async () => {
    const prefix = uniquePrefix("lease");
    const redis = await client();
    const a = createLeases({ redis, keyPrefix: prefix, owner: "a" });
    const held = await acquireWithin(a, "job", 3000, 6000);
    const lost = new Promise<[LostReason, number]>((resolve) => held.onLost((r) => resolve([r, performance.now()])));
    const takenAt = performance.now();
    await redis.set(`${prefix}lease:job`, "99:intruder", { PX: 3000 });
    const [reason, at] = await lost;
    expect(reason).toBe("not_owner");
    expect(at - takenAt).toBeLessThan(3000);
    expect(held.isValid()).toBe(false);
    expect(a.stats()[0]).toMatchObject({ losses: 1, isHolder: false, lastLostReason: "not_owner" });
  });

  it("Redis unreachable → onLost('renewal_failed') on the first failed renewal, not at the deadline", async () => {
    const prefix = uniquePrefix("lease");
    const redis = await client();
    const a = createLeases({ redis, keyPrefix: prefix, owner: "a" });
    const held = await acquireWithin(a, "job", 3000, 6000);
    const lost = new Promise<LostReason>((resolve) => held.onLost(resolve));
    const cutAt = performance.now();
    redis.destroy();
    expect(await lost).toBe("renewal_failed");
    expect(performance.now() - cutAt).toBeLessThan(3000);
  });
});

describe("two contenders racing", () => {
  it("1,000 acquires each → never two holders with overlapping validity, tokens strictly increasing", async () => {
    const prefix = uniquePrefix("lease");
    const name = uniqueName("race");
    const ttlMs = 60;
    const held = new Map<string, HeldLease>();
    const tokens: number[] = [];
    const overlapping: string[] = [];
    const owners = new Set<string>();
    const contender = async (owner: string) => {
      const leases = createLeases({ redis: await client(), keyPrefix: prefix, owner });
      for (let attempt = 0; attempt < 1000; attempt++) {
        const lease = await leases.acquire(name, ttlMs);
        if (!lease) continue;
        // The other's validity is judged on its own monotonic deadline, not on timers a
        // loaded machine may run late: at the moment this one acquired it must be over.
        for (const [other, otherLease] of held) {
          if (other !== owner && otherLease.isValid())
            overlapping.push(`${other} ${otherLease.token} / ${owner} ${lease.token}`);
        }
        held.set(owner, lease);
        tokens.push(lease.token);
        owners.add(owner);
        // Hold across a renewal now and then, or give it up at once.
        if (attempt % 7 === 0) await sleep(ttlMs / 2);
        await lease.release();
      }
    };
    await Promise.all([contender("a"), contender("b")]);
    expect(tokens.length).toBeGreaterThan(50);
    expect(owners.size).toBe(2);
    expect(overlapping).toEqual([]);
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
    expect(new Set(tokens).size).toBe(tokens.length);
  }, 60_000);
});
