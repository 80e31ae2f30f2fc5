import { randomBytes } from "node:crypto";
import { createQuorumClient } from "@statelab/quorum";
import type { Request } from "express";
import type { SessionData } from "express-session";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestReplicas, testReplicas } from "../../../tests/support/quorum.js";
import { QuorumSessionStore } from "./quorum-session-store.js";

let replicas: TestReplicas;
beforeAll(async () => {
  replicas = await testReplicas(3);
});
afterAll(() => replicas?.close());

const promisify = <T>(run: (cb: (err?: unknown, data?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => run((err, data) => (err ? reject(err) : resolve(data))));

function store(ttlMs: number | null = 60_000) {
  const client = createQuorumClient({ replicas: replicas.links, r: 2, w: 2, timeoutMs: 500 });
  return new QuorumSessionStore({
    client,
    prefix: `qs:${randomBytes(4).toString("hex")}:`,
    ttlMs: () => ttlMs,
    tombstoneTtlMs: 60_000,
  });
}

const data = (userId: string) =>
  ({
    cookie: { originalMaxAge: 60_000 },
    userId,
    createdAt: Date.now(),
    refreshedAt: Date.now(),
  }) as unknown as SessionData;

describe("QuorumSessionStore on 3 real Redis servers", () => {
  it("stores, reads and destroys a session; the key holds a hash of the id, never the id", async () => {
    const s = store();
    const sid = randomBytes(16).toString("hex");
    await promisify((cb) => s.set(sid, data("u1"), cb));
    expect((await promisify<SessionData>((cb) => s.get(sid, cb)))?.userId).toBe("u1");
    const raw = await replicas.links[0]?.connection.sendCommand(["KEYS", `*${sid}*`]);
    expect(raw).toEqual([]);
    await promisify((cb) => s.destroy(sid, cb));
    expect(await promisify((cb) => s.get(sid, cb))).toBeNull();
  });

  it("a session loaded before a logout elsewhere is not resurrected by its later save", async () => {
    const s = store();
    const sid = randomBytes(16).toString("hex");
    await promisify((cb) => s.set(sid, data("u2"), cb));
    const loaded = await promisify<SessionData>((cb) => s.get(sid, cb));
    if (!loaded) throw new Error("no session");
    const session = s.createSession({ sessionID: sid, sessionStore: s } as unknown as Request, loaded);
    await promisify((cb) => s.destroy(sid, cb));
    // The paused instance wakes up and saves what it loaded: the tombstone wins.
    await promisify((cb) => s.set(sid, session, cb));
    expect(await promisify((cb) => s.get(sid, cb))).toBeNull();
  });

  it("a session whose time is up is removed instead of written", async () => {
    const s = store(0);
    const sid = randomBytes(16).toString("hex");
    await promisify((cb) => s.set(sid, data("u3"), cb));
    expect(await promisify((cb) => s.get(sid, cb))).toBeNull();
  });

  it("with two of three servers silent, the store reports an error (→ 503), never a missing session", async () => {
    const s = store();
    const sid = randomBytes(16).toString("hex");
    await promisify((cb) => s.set(sid, data("u4"), cb));
    replicas.pause(1);
    replicas.pause(2);
    try {
      await expect(promisify((cb) => s.get(sid, cb))).rejects.toMatchObject({ code: "unavailable" });
    } finally {
      replicas.resume(1);
      replicas.resume(2);
    }
  });
});
