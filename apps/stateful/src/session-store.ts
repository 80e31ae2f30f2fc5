import { createHash } from "node:crypto";
import type { RedisClient } from "@statelab/backend";
import { RedisStore } from "connect-redis";
import type { Request } from "express";
import type { Session, SessionData } from "express-session";

/** The Redis key part for a session id: a dump or MONITOR output then gives away no live session (S11). */
export const hashSessionId = (sid: string): string => createHash("sha256").update(sid).digest("base64url");

// biome-ignore lint/suspicious/noExplicitAny: the callback shape of express-session's Store and connect-redis
type Callback = (err?: any, data?: any) => any;

export interface HashedRedisStoreOptions {
  client: RedisClient;
  /** Key prefix, e.g. `statelab:sess:`. */
  prefix: string;
  /** Milliseconds the key may live from now, or null for no expiry (hard state). */
  ttlMs: (session: SessionData) => number | null;
}

/**
 * connect-redis with three changes that matter here:
 * - keys hold a hash of the session id, never the id itself;
 * - touch() writes nothing (connect-redis's own touch() with `disableTouch`): the
 *   idle TTL is pushed forward by a save when it runs low (see auth.ts), so a
 *   request costs one GET instead of GET + EXPIRE;
 * - a session loaded from Redis is saved with SET XX: if it was logged out
 *   elsewhere meanwhile (a paused instance waking up), the save cannot
 *   resurrect it. A brand-new session (login) is saved with SET NX.
 */
export class HashedRedisStore extends RedisStore {
  private readonly loaded = new WeakSet<object>();
  private readonly redis: RedisClient;
  private readonly ttlMs: HashedRedisStoreOptions["ttlMs"];

  constructor(options: HashedRedisStoreOptions) {
    if (!options.prefix) throw new TypeError("HashedRedisStore: a key prefix is required");
    // disableTouch: express-session calls touch() after every request that did not save.
    super({ client: options.client, prefix: options.prefix, disableTouch: true });
    this.redis = options.client;
    this.ttlMs = options.ttlMs;
  }

  keyOf(sid: string): string {
    return this.prefix + hashSessionId(sid);
  }

  private handedOver: { sid: string; data: SessionData | null } | undefined;

  /** The stored session, parsed, or null: one GET. */
  async read(sid: string): Promise<SessionData | null> {
    const raw = await this.redis.get(this.keyOf(sid));
    return raw === null ? null : (JSON.parse(raw) as SessionData);
  }

  /**
   * Runs `run` with `data` as the answer to a get(sid) that it makes synchronously, as
   * express-session does the moment its middleware is called: a request that has just read
   * its session does not read it twice. Any other get() goes to Redis as usual.
   */
  handOver(sid: string, data: SessionData | null, run: () => void): void {
    this.handedOver = { sid, data };
    try {
      run();
    } finally {
      this.handedOver = undefined;
    }
  }

  override async get(sid: string, cb?: Callback) {
    const handed = this.handedOver;
    if (handed !== undefined && handed.sid === sid) {
      this.handedOver = undefined;
      return cb ? cb(null, handed.data) : handed.data;
    }
    return super.get(hashSessionId(sid), cb);
  }

  override destroy(sid: string, cb?: Callback) {
    return super.destroy(hashSessionId(sid), cb);
  }

  /** express-session builds every session it loaded from the store here. */
  override createSession(req: Request, data: SessionData): Session & SessionData {
    const session = super.createSession(req, data);
    this.loaded.add(session);
    return session;
  }

  override async set(sid: string, session: SessionData, cb?: Callback) {
    try {
      const ttl = this.ttlMs(session);
      if (ttl !== null && ttl <= 0) {
        await this.redis.del(this.keyOf(sid));
      } else {
        await this.redis.set(this.keyOf(sid), JSON.stringify(session), {
          condition: this.loaded.has(session) ? "XX" : "NX",
          ...(ttl === null ? {} : { expiration: { type: "PX" as const, value: Math.ceil(ttl) } }),
        });
      }
      cb?.();
    } catch (error) {
      cb?.(error);
    }
  }
}
