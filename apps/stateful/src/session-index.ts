import type { RedisClient } from "@statelab/backend";
import type { SessionData, Store } from "express-session";
import type { QuorumSessionStore } from "./quorum-session-store.js";
import { hashSessionId } from "./session-store.js";

export interface SessionSummary {
  handle: string;
  createdAt: Date;
  lastSeenAt: Date;
  userAgent: string;
}

/**
 * Which sessions a user has, so one device can be listed and ended and
 * logout-all can end them all (express-session has no such query).
 */
export interface SessionIndex {
  /** `ttlMs` must cover the session's whole possible life (its absolute lifetime), null for none. */
  add(userId: string, handle: string, sid: string, ttlMs: number | null): Promise<void>;
  list(userId: string): Promise<SessionSummary[]>;
  /** Ends the session behind the handle; false when the user has no such session. */
  revoke(userId: string, handle: string): Promise<boolean>;
  /** Ends every session of the user; returns how many were live. */
  revokeAll(userId: string): Promise<number>;
}

const summary = (data: SessionData): SessionSummary => ({
  handle: data.handle,
  createdAt: new Date(data.createdAt),
  lastSeenAt: new Date(data.refreshedAt),
  userAgent: data.userAgent,
});

// Makes the index outlive every session it lists: its TTL is extended to cover the new
// session's lifetime, never shortened, and a session without TTL makes it persistent.
// PTTL runs before HSET: a key HSET has just created would read -1 (no expiry) instead of
// -2 (no key), and would then never get a TTL at all.
const EXTEND_TTL = `
local ttl = tonumber(ARGV[3])
local current = redis.call('PTTL', KEYS[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ttl < 0 then redis.call('PERSIST', KEYS[1]) return 1 end
if current ~= -1 and current < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`;

/**
 * A Redis hash per user: handle → hash of the session id. It expires no sooner
 * than the absolute end of the user's latest session, so logout-all and ending a
 * device always find every live session; entries of sessions that expired on
 * their own are pruned when listed.
 */
export function createRedisSessionIndex(options: {
  redis: RedisClient;
  prefix: string;
  sessionPrefix: string;
}): SessionIndex {
  const { redis } = options;
  const indexKey = (userId: string) => `${options.prefix}user-sessions:${userId}`;
  const sessionKey = (hash: string) => options.sessionPrefix + hash;

  return {
    async add(userId, handle, sid, ttlMs) {
      await redis.eval(EXTEND_TTL, {
        keys: [indexKey(userId)],
        arguments: [handle, hashSessionId(sid), String(ttlMs === null ? -1 : Math.ceil(ttlMs))],
      });
    },

    async list(userId) {
      const entries = Object.entries(await redis.hGetAll(indexKey(userId)));
      if (entries.length === 0) return [];
      const values = await redis.mGet(entries.map(([, hash]) => sessionKey(hash)));
      const live: SessionSummary[] = [];
      const gone: string[] = [];
      values.forEach((value, i) => {
        const handle = (entries[i] as [string, string])[0];
        if (value) live.push(summary(JSON.parse(value) as SessionData));
        else gone.push(handle);
      });
      if (gone.length > 0) await redis.hDel(indexKey(userId), gone);
      return live.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    },

    async revoke(userId, handle) {
      const hash = await redis.hGet(indexKey(userId), handle);
      if (!hash) return false;
      const [deleted] = (await redis
        .multi()
        .del(sessionKey(hash))
        .hDel(indexKey(userId), handle)
        .exec()) as unknown as [number, number];
      return deleted > 0;
    },

    async revokeAll(userId) {
      const hashes = Object.values(await redis.hGetAll(indexKey(userId)));
      if (hashes.length === 0) return 0;
      const [deleted] = (await redis.multi().del(hashes.map(sessionKey)).del(indexKey(userId)).exec()) as unknown as [
        number,
        number,
      ];
      return deleted;
    },
  };
}

/**
 * SESSION_STORE=quorum: the handle → hash map stays a hash in REDIS_URL (as with the
 * Redis store), the sessions it points to are read and ended through the quorum.
 */
export function createQuorumSessionIndex(options: {
  redis: RedisClient;
  prefix: string;
  store: QuorumSessionStore;
}): SessionIndex {
  const { redis, store } = options;
  const indexKey = (userId: string) => `${options.prefix}user-sessions:${userId}`;
  const base = createRedisSessionIndex({ redis, prefix: options.prefix, sessionPrefix: store.keyOfHash("") });
  const end = async (hash: string) => {
    const live = (await store.readHash(hash)) !== null;
    await store.removeHash(hash);
    return live;
  };

  return {
    add: base.add,
    async list(userId) {
      const entries = Object.entries(await redis.hGetAll(indexKey(userId)));
      const values = await Promise.all(entries.map(([, hash]) => store.readHash(hash)));
      const gone = entries.filter((_, i) => values[i] === null).map(([handle]) => handle);
      if (gone.length > 0) await redis.hDel(indexKey(userId), gone);
      return values
        .filter((value): value is SessionData => value !== null)
        .map(summary)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    },
    async revoke(userId, handle) {
      const hash = await redis.hGet(indexKey(userId), handle);
      if (!hash) return false;
      const live = await end(hash);
      await redis.hDel(indexKey(userId), handle);
      return live;
    },
    async revokeAll(userId) {
      const hashes = Object.values(await redis.hGetAll(indexKey(userId)));
      const live = await Promise.all(hashes.map(end));
      await redis.del(indexKey(userId));
      return live.filter(Boolean).length;
    },
  };
}

/**
 * SESSION_STORE=memory: the index lives in the process like the sessions do,
 * so it knows only this instance's sessions — which is the point of the demo.
 */
export function createMemorySessionIndex(store: Store): SessionIndex {
  const byUser = new Map<string, Map<string, string>>();
  const get = (sid: string) =>
    new Promise<SessionData | null>((resolve) => store.get(sid, (_err, data) => resolve(data ?? null)));
  const destroy = (sid: string) => new Promise<void>((resolve) => store.destroy(sid, () => resolve()));

  return {
    async add(userId, handle, sid) {
      const sessions = byUser.get(userId) ?? new Map<string, string>();
      sessions.set(handle, sid);
      byUser.set(userId, sessions);
    },
    async list(userId) {
      const live: SessionSummary[] = [];
      for (const [handle, sid] of byUser.get(userId) ?? []) {
        const data = await get(sid);
        if (data) live.push(summary(data));
        else byUser.get(userId)?.delete(handle);
      }
      return live;
    },
    async revoke(userId, handle) {
      const sid = byUser.get(userId)?.get(handle);
      if (!sid) return false;
      byUser.get(userId)?.delete(handle);
      const existed = (await get(sid)) !== null;
      await destroy(sid);
      return existed;
    },
    async revokeAll(userId) {
      const sessions = [...(byUser.get(userId)?.values() ?? [])];
      byUser.delete(userId);
      let live = 0;
      for (const sid of sessions) {
        if (await get(sid)) live++;
        await destroy(sid);
      }
      return live;
    },
  };
}
