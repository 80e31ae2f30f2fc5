import { createRedisClient, type RedisClient } from "@statelab/backend";

/** One key and its remaining life; `ttlMs` null = no TTL (hard state: it lives until deleted). */
export interface KeyTtl {
  /** The key without the deployment prefix, shortened: never a usable credential (session keys are hashes). */
  key: string;
  ttlMs: number | null;
}

export interface KeyGroup {
  /** Keys found (at most `maxKeys`). */
  count: number;
  /** The scan stopped at its bound: there may be more. */
  isCapped: boolean;
  /** The soonest to expire first, at most `shownKeys`. */
  keys: KeyTtl[];
}

export interface SoftStateView {
  status: "ok" | "unreachable";
  error: string | null;
  /** Date.now() of the read: the page counts TTLs down from here. */
  readAt: number;
  sessions: KeyGroup;
  denylist: KeyGroup;
}

const maxKeys = 500;
const maxScanRounds = 20;
const shownKeys = 12;
const empty: KeyGroup = { count: 0, isCapped: false, keys: [] };

/**
 * Reads the lab's soft state from Redis: stateful sessions (`<prefix>sess:*`) and the
 * stateless denylist (`<prefix>deny:*`) with their TTLs. SCAN (never KEYS, which blocks
 * the server the stacks share), bounded in rounds and keys; each command fails fast, so
 * a stopped or paused Redis shows as unreachable instead of hanging the dashboard.
 */
export class SoftState {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  #connecting: Promise<unknown> | null = null;

  constructor(redisUrl: string, prefix: string) {
    this.#prefix = prefix;
    this.#redis = createRedisClient(redisUrl, { warn: () => {} });
  }

  async read(): Promise<SoftStateView> {
    const readAt = Date.now();
    try {
      // node-redis keeps retrying a first connect instead of failing: bound the wait. A read
      // before it is connected fails at once (no offline queue) and shows as unreachable.
      this.#connecting ??= this.#redis.connect().catch(() => {});
      await Promise.race([this.#connecting, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      const [sessions, denylist] = await Promise.all([this.#group("sess:"), this.#group("deny:")]);
      return { status: "ok", error: null, readAt, sessions, denylist };
    } catch (error) {
      return { status: "unreachable", error: (error as Error).message, readAt, sessions: empty, denylist: empty };
    }
  }

  /** Drops the connection (a client never connected has nothing to drop). */
  close(): void {
    if (this.#redis.isOpen) this.#redis.destroy();
  }

  async #group(kind: string): Promise<KeyGroup> {
    const match = `${this.#prefix}${kind}*`;
    const keys = new Set<string>();
    let cursor = "0";
    let rounds = 0;
    do {
      const reply = await this.#redis.scan(cursor, { MATCH: match, COUNT: 200 });
      cursor = String(reply.cursor);
      for (const key of reply.keys) keys.add(String(key));
      rounds++;
    } while (cursor !== "0" && rounds < maxScanRounds && keys.size < maxKeys);
    const found = [...keys].slice(0, maxKeys);
    const ttls = await Promise.all(found.map((key) => this.#redis.pTTL(key)));
    // -2: expired since SCAN saw it; -1: no TTL.
    const live = found
      .map((key, i) => ({ key: this.#shorten(key), ttlMs: ttls[i] === -1 ? null : (ttls[i] as number) }))
      .filter((_, i) => ttls[i] !== -2)
      .sort((a, b) => (a.ttlMs ?? Number.POSITIVE_INFINITY) - (b.ttlMs ?? Number.POSITIVE_INFINITY));
    return { count: live.length, isCapped: cursor !== "0", keys: live.slice(0, shownKeys) };
  }

  #shorten(key: string): string {
    const name = key.slice(this.#prefix.length);
    return name.length > 28 ? `${name.slice(0, 27)}…` : name;
  }
}
