import { randomBytes } from "node:crypto";
import { type Quorum, type QuorumSpec, resolveQuorum } from "./config.js";
import { QuorumConditionError, QuorumConfigError } from "./errors.js";
import { gather, type Reply } from "./gather.js";
import { applyToReplica, type Replica, readReplica, type Stored } from "./replica.js";
import { compareVersions, type Version } from "./version.js";

export interface QuorumClientOptions extends Omit<QuorumSpec, "n"> {
  /** N is their count. Connections are made and closed by the caller. */
  replicas: readonly Replica[];
  /** Bound on a whole read or write, all round trips included. */
  timeoutMs?: number;
  /** Breaks ties between writers that picked the same counter; unique per client. */
  writerId?: string;
}

/** What a read returns: the highest version among R replies; value null = absent or deleted. */
export interface ReadResult {
  value: string | null;
  version: Version | null;
}

export interface WriteOptions {
  /** The value expires this long from now, on every replica at the same moment. */
  ttlMs?: number;
  /** Write only if the latest version is live ("exists") or absent/deleted ("absent"). */
  condition?: "exists" | "absent";
}

export interface QuorumClient {
  readonly quorum: Quorum;
  readonly writerId: string;
  read(key: string): Promise<ReadResult>;
  /** Resolves with the new version once W replicas hold it (or a newer one). */
  write(key: string, value: string, options?: WriteOptions): Promise<Version>;
  /** A tombstone: a versioned write of "nothing", kept for `ttlMs` so a stale replica cannot bring the value back. */
  remove(key: string, options?: WriteOptions): Promise<Version>;
  /** Stale replicas this client has repaired so far. */
  repairs(): number;
  /** Waits for background work: read repairs and the replicas a write did not wait for. */
  settle(): Promise<void>;
}

const isLive = (stored: Stored | null, now: number) =>
  stored !== null && stored.value !== null && (stored.expireAtMs === 0 || stored.expireAtMs > now);

function highest(replies: readonly Reply<Stored | null>[]): Stored | null {
  let best: Stored | null = null;
  for (const { value } of replies) if (compareVersions(value?.version ?? null, best?.version ?? null) > 0) best = value;
  return best;
}

/**
 * A versioned key-value client over N Redis replicas. Reads and writes go to every
 * replica and complete at R replies / W acknowledgements; fewer within the timeout is
 * a QuorumUnavailableError, never a partial success.
 *
 * Versions: a write first reads the highest version from N − W + 1 replicas — the
 * smallest set that overlaps every earlier write quorum (R, if fewer) — and writes
 * counter + 1, ties broken by writer id. With R + W > N a write that starts after another
 * was acknowledged therefore always gets a higher version (no clock involved), at the
 * price of a second round trip and of needing max(W, N − W + 1) replicas up to write.
 */
export function createQuorumClient(options: QuorumClientOptions): QuorumClient {
  const { replicas } = options;
  const quorum = resolveQuorum({ n: replicas.length, r: options.r, w: options.w });
  const timeoutMs = options.timeoutMs ?? 500;
  if (!(timeoutMs > 0)) throw new QuorumConfigError([`timeoutMs must be > 0 (got ${timeoutMs})`]);
  if (new Set(replicas.map((r) => r.name)).size !== replicas.length)
    throw new QuorumConfigError(["replica names must be unique"]);
  const writerId = options.writerId ?? `w-${randomBytes(4).toString("hex")}`;
  const background = new Set<Promise<unknown>>();
  let repaired = 0;

  const track = (work: Promise<unknown>) => {
    const quiet = work.catch(() => {});
    background.add(quiet);
    void quiet.finally(() => background.delete(quiet));
  };

  /** Brings every replica that answered with an older version up to `best` (read repair). */
  const repair = (key: string, best: Stored | null, replies: readonly Reply<Stored | null>[], deadline: number) => {
    if (best === null) return;
    const stale = replies.filter((reply) => compareVersions(reply.value?.version ?? null, best.version) < 0);
    if (stale.length === 0) return;
    track(
      gather(
        stale.map((s) => s.replica),
        (replica) => applyToReplica(replica, key, best),
        {
          needed: stale.length,
          deadline,
          operation: "write",
          writes: best.version,
        },
      ).then(({ replies: done }) => {
        repaired += done.filter((d) => d.value).length;
      }),
    );
  };

  const readAll = (key: string, needed: number, operation: "read" | "write", deadline: number) =>
    gather(replicas, (replica) => readReplica(replica, key), { needed, deadline, operation, writes: null });

  async function put(key: string, value: string | null, options: WriteOptions): Promise<Version> {
    const deadline = Date.now() + timeoutMs;
    const seen = await readAll(key, quorum.versionQuorum, "write", deadline);
    const latest = highest(seen.replies);
    const now = Date.now();
    if (options.condition === "exists" && !isLive(latest, now)) throw new QuorumConditionError(key, "exists");
    if (options.condition === "absent" && isLive(latest, now)) throw new QuorumConditionError(key, "absent");
    const stored: Stored = {
      version: { counter: (latest?.version.counter ?? 0) + 1, writer: writerId },
      value,
      expireAtMs: options.ttlMs === undefined ? 0 : now + Math.max(1, Math.ceil(options.ttlMs)),
    };
    const acked = await gather(replicas, (replica) => applyToReplica(replica, key, stored), {
      needed: quorum.w,
      deadline,
      operation: "write",
      writes: stored.version,
    });
    track(acked.all);
    return stored.version;
  }

  return {
    quorum,
    writerId,
    async read(key) {
      const deadline = Date.now() + timeoutMs;
      const { replies, all } = await readAll(key, quorum.r, "read", deadline);
      const best = highest(replies);
      // Late replies are repaired too, against the best version of all of them.
      track(all.then((every) => repair(key, highest(every), every, Date.now() + timeoutMs)));
      return isLive(best, Date.now())
        ? { value: best?.value ?? null, version: best?.version ?? null }
        : { value: null, version: best?.version ?? null };
    },
    write: (key, value, options = {}) => put(key, value, options),
    remove: (key, options = {}) => put(key, null, options),
    repairs: () => repaired,
    async settle() {
      while (background.size > 0) await Promise.all([...background]);
    },
  };
}
