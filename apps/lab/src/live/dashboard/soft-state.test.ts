import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../stack/stack.js";
import { SoftState } from "./soft-state.js";

const prefix = `softstate_${randomBytes(4).toString("hex")}:`;
const redis = createClient({ url: inject("redisUrl") });

beforeAll(async () => {
  await redis.connect();
  await redis.set(`${prefix}sess:${"a".repeat(64)}`, "{}", { PX: 60_000 });
  await redis.set(`${prefix}sess:${"b".repeat(64)}`, "{}", { PX: 5_000 });
  await redis.set(`${prefix}sess:hard`, "{}");
  await redis.set(`${prefix}deny:jti:j1`, "1", { PX: 30_000 });
  // Another deployment's keys and other kinds of key are not shown.
  await redis.set(`${prefix}user-sessions:u1`, "x", { PX: 60_000 });
  await redis.set(`other_${prefix}sess:x`, "{}", { PX: 60_000 });
});

afterAll(async () => {
  // SCAN, not KEYS: the test Redis is shared by every test file.
  for await (const keys of redis.scanIterator({ MATCH: `*${prefix}*` })) if (keys.length > 0) await redis.del(keys);
  await redis.close();
});

describe("SoftState", () => {
  it("reads sessions and denylist entries of its prefix with their TTLs, soonest first, keys shortened", async () => {
    const softState = new SoftState(inject("redisUrl"), prefix);
    try {
      const view = await softState.read();
      expect(view.status).toBe("ok");
      expect(view.sessions.count).toBe(3);
      expect(view.sessions.keys.map((k) => k.key)).toEqual([
        `sess:${"b".repeat(22)}…`,
        `sess:${"a".repeat(22)}…`,
        "sess:hard",
      ]);
      const [soon, later, hard] = view.sessions.keys;
      expect(soon?.ttlMs).toBeGreaterThan(0);
      expect(soon?.ttlMs).toBeLessThanOrEqual(5_000);
      expect(later?.ttlMs).toBeGreaterThan(5_000);
      expect(hard?.ttlMs).toBeNull();
      expect(view.denylist).toMatchObject({ count: 1, isCapped: false, keys: [{ key: "deny:jti:j1" }] });
    } finally {
      softState.close();
    }
  });

  it("a Redis that is not there → unreachable within about a second, and close() after that is clean", async () => {
    const softState = new SoftState(`redis://127.0.0.1:${await freePort()}`, prefix);
    const started = Date.now();
    const view = await softState.read();
    expect(view.status).toBe("unreachable");
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(() => softState.close()).not.toThrow();
  });

  it("close() of a reader that never read throws nothing", () => {
    expect(() => new SoftState(inject("redisUrl"), prefix).close()).not.toThrow();
  });
});
