import { type QuorumClient, QuorumConditionError } from "@statelab/quorum";
import type { Request } from "express";
import { type Session, type SessionData, Store } from "express-session";
import { hashSessionId } from "./session-store.js";

// biome-ignore lint/suspicious/noExplicitAny: the callback shape of express-session's Store
type Callback = (err?: any, data?: any) => any;

export interface QuorumSessionStoreOptions {
  client: QuorumClient;
  /** Key prefix, e.g. `statelab:sess:`. */
  prefix: string;
  /** Milliseconds the session may live from now, or null for no expiry (hard state). */
  ttlMs: (session: SessionData) => number | null;
  /**
   * How long a logout's tombstone is kept (null: forever). It must outlive any copy of
   * the session a lagging replica may still hold, or read repair could bring it back:
   * the session's absolute lifetime does.
   */
  tombstoneTtlMs: number | null;
}

/**
 * SESSION_STORE=quorum: sessions replicated to N Redis servers through the quorum
 * client, so the stateful server keeps serving while a minority of them is lost. Same
 * rules as the Redis store: keys hold a hash of the session id; touch() writes nothing;
 * a session loaded from the store is saved only if it is still live (a logout elsewhere
 * wins), a new one only if absent. A logout is a versioned tombstone, not a DEL, so a
 * replica that missed it cannot resurrect the session.
 */
export class QuorumSessionStore extends Store {
  private readonly loaded = new WeakSet<object>();
  private readonly options: QuorumSessionStoreOptions;

  constructor(options: QuorumSessionStoreOptions) {
    if (!options.prefix) throw new TypeError("QuorumSessionStore: a key prefix is required");
    super();
    this.options = options;
  }

  /** The quorum key of a session, by the hash the session index keeps. */
  keyOfHash(hash: string): string {
    return this.options.prefix + hash;
  }

  /** The session stored under a hashed id, or null: one quorum read. */
  async readHash(hash: string): Promise<SessionData | null> {
    const { value } = await this.options.client.read(this.keyOfHash(hash));
    return value === null ? null : (JSON.parse(value) as SessionData);
  }

  /** Ends the session stored under a hashed id (a tombstone). */
  async removeHash(hash: string): Promise<void> {
    const ttl = this.options.tombstoneTtlMs;
    await this.options.client.remove(this.keyOfHash(hash), ttl === null ? {} : { ttlMs: ttl });
  }

  override get(sid: string, cb: Callback): void {
    this.readHash(hashSessionId(sid)).then(
      (data) => cb(null, data),
      (error: unknown) => cb(error),
    );
  }

  override destroy(sid: string, cb?: Callback): void {
    this.removeHash(hashSessionId(sid)).then(
      () => cb?.(),
      (error: unknown) => cb?.(error),
    );
  }

  /** express-session builds every session it loaded from the store here. */
  override createSession(req: Request, data: SessionData): Session & SessionData {
    const session = super.createSession(req, data);
    this.loaded.add(session);
    return session;
  }

  override set(sid: string, session: SessionData, cb?: Callback): void {
    const key = this.keyOfHash(hashSessionId(sid));
    const ttl = this.options.ttlMs(session);
    const work =
      ttl !== null && ttl <= 0
        ? this.removeHash(hashSessionId(sid))
        : this.options.client
            .write(key, JSON.stringify(session), {
              condition: this.loaded.has(session) ? "exists" : "absent",
              ...(ttl === null ? {} : { ttlMs: ttl }),
            })
            .then(
              () => {},
              (error: unknown) => {
                // Like SET XX / NX answering nil: the condition did not hold, nothing was written.
                if (!(error instanceof QuorumConditionError)) throw error;
              },
            );
    work.then(
      () => cb?.(),
      (error: unknown) => cb?.(error),
    );
  }
}
