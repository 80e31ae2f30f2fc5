import type pg from "pg";
import { StaleFenceError } from "./errors.js";
import type { Fence, FencedWrite } from "./fence.js";
import type { HeldLease, Leases } from "./lease.js";

export interface SingletonLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** What a run of the job gets: its token and the fenced way to write. */
export interface SingletonRun {
  token: number;
  /** The holder's check right before acting; false once the lease is lost. */
  isValid(): boolean;
  /** A write guarded by this run's token (see Fence.write). */
  write<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<FencedWrite<T>>;
}

export interface SingletonStats {
  name: string;
  /** Runs of the job that finished while holding the lease. */
  runs: number;
  /** Writes Postgres refused as stale (the lease is then given up). */
  staleRejected: number;
  /** Writes that went through with a stale token (fence check off). */
  staleAccepted: number;
  failures: number;
}

export interface Singleton {
  stats(): SingletonStats;
  /** Stops the loop, waits for a run in flight, releases the lease. */
  stop(): Promise<void>;
}

export interface SingletonOptions {
  leases: Leases;
  fence: Fence;
  /** The lease name (its Redis keys carry the leases' prefix). */
  name: string;
  /**
   * The fenced resource in Postgres (default: the name). Deployments sharing one
   * database but not one Redis prefix need their own, or one's tokens fence the other's.
   */
  resource?: string;
  ttlMs: number;
  /** How often the holder runs the job. */
  everyMs: number;
  work(run: SingletonRun): Promise<void>;
  logger: SingletonLogger;
}

/**
 * A job every instance runs and only the lease holder acts on. Contenders try to
 * acquire every ttl/3, so after a holder dies or pauses another takes over within
 * ttl + ttl/3. The floor for the token comes from the fence table, so a Redis that
 * forgot its counter cannot hand out a token Postgres would refuse forever.
 */
export function startSingleton(options: SingletonOptions): Singleton {
  const { leases, fence, name, ttlMs, logger } = options;
  const resource = options.resource ?? name;
  const timing = leases.timing(ttlMs);
  if (!Number.isInteger(options.everyMs) || options.everyMs < 1) {
    throw new RangeError(`singleton ${name}: everyMs must be a positive integer`);
  }
  const stats: SingletonStats = { name, runs: 0, staleRejected: 0, staleAccepted: 0, failures: 0 };
  let held: HeldLease | null = null;
  let nextRunAt = 0;
  let isStopped = false;
  let inFlight: Promise<void> = Promise.resolve();

  const run = async (lease: HeldLease) => {
    const write: SingletonRun["write"] = async (work) => {
      const result = await fence.write(resource, lease.token, work);
      if (result.isStale) stats.staleAccepted += 1;
      return result;
    };
    try {
      await options.work({ token: lease.token, isValid: () => lease.isValid(), write });
      stats.runs += 1;
    } catch (error) {
      if (error instanceof StaleFenceError) {
        stats.staleRejected += 1;
        logger.warn(
          { lease: name, token: lease.token, highest: error.highest },
          "lease: write refused as stale; giving up",
        );
        held = null;
        await lease.release().catch(() => {});
        return;
      }
      stats.failures += 1;
      logger.warn({ err: error, lease: name }, "lease: job run failed");
    }
  };

  const tick = async () => {
    if (!held) {
      const floor = await fence.highest(resource);
      const lease = await leases.acquire(name, ttlMs, { floor });
      if (!lease) return;
      held = lease;
      nextRunAt = Date.now();
      logger.info({ lease: name, token: lease.token }, "lease: acquired");
      lease.onLost((reason) => {
        if (held === lease) held = null;
        logger.warn({ lease: name, token: lease.token, reason }, "lease: lost; stopped acting");
      });
    }
    if (held?.isValid() && Date.now() >= nextRunAt) {
      nextRunAt = Date.now() + options.everyMs;
      await run(held);
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    if (isStopped) return;
    inFlight = tick()
      .catch(() => {
        // Redis or Postgres unreachable: nothing to acquire with; try again next round.
      })
      .finally(() => {
        if (!isStopped) timer = setTimeout(loop, Math.min(timing.renewEveryMs, options.everyMs)).unref();
      });
  };
  loop();

  return {
    stats: () => ({ ...stats }),
    async stop() {
      isStopped = true;
      clearTimeout(timer);
      await inFlight;
      await held?.release().catch(() => {});
      held = null;
    },
  };
}
