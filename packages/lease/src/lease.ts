import { performance } from "node:perf_hooks";
import { LeaseError } from "./errors.js";
import { ACQUIRE, RELEASE, RENEW } from "./scripts.js";
import { type LeaseTiming, leaseTiming, validUntil } from "./timing.js";

/** The one Redis command the lease needs; a node-redis client (with or without deadlines) fits. */
export interface LeaseRedis {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export type LostReason = "renewal_failed" | "renewal_late" | "not_owner" | "deadline";

/** A lease this process holds until it releases it or `onLost` fires. */
export interface HeldLease {
  readonly name: string;
  /** The fencing token: larger than every token handed out before for this name. */
  readonly token: number;
  /** Wall-clock estimate (epoch ms) of the local deadline; the holder must stop acting by then. */
  readonly expiresAt: number;
  /** True until the local deadline, a failed or late renewal, or release. */
  isValid(): boolean;
  /** Called once, on the first failed or late renewal or at the local deadline. */
  onLost(listener: (reason: LostReason) => void): void;
  /** Compare-and-delete: frees the lease for others now, if it is still ours. */
  release(): Promise<void>;
}

export interface LeaseStats {
  name: string;
  owner: string;
  isHolder: boolean;
  /** This process's current or last token (0: never held). */
  token: number;
  /** The holder as last seen in Redis (`<token>:<owner>`), or null. */
  seenHolder: string | null;
  acquisitions: number;
  renewals: number;
  losses: number;
  lastLostReason: LostReason | null;
}

export interface Leases {
  readonly owner: string;
  timing(ttlMs: number): LeaseTiming;
  /**
   * One try: SET NX PX + INCR in one script. Null when someone else holds it (or
   * during the quarantine after Redis lost its memory). `floor`: the highest token the
   * caller knows of (e.g. from the fence table), so tokens never go backwards.
   * Throws when Redis cannot be reached.
   */
  acquire(name: string, ttlMs: number, options?: { floor?: number }): Promise<HeldLease | null>;
  stats(): LeaseStats[];
}

export interface LeasesOptions {
  redis: LeaseRedis;
  /** Every key starts with it (`<prefix>lease:<name>`). */
  keyPrefix: string;
  /** Unique per process: an instance id plus something random. */
  owner: string;
  driftFactor?: number;
  /** Monotonic milliseconds; wall-clock jumps must not move a deadline. */
  now?: () => number;
}

/**
 * Soft-state leases in one Redis: each holder renews every ttl/3 and stops acting
 * at `sentAt + ttl − drift` of its last successful command, whatever happens to
 * the renewals — so a holder that is partitioned from Redis stops before Redis
 * hands the lease to someone else. It cannot stop a process that is paused
 * mid-action; that is what the fencing token is for.
 */
export function createLeases(options: LeasesOptions): Leases {
  const { redis, keyPrefix, owner } = options;
  if (!/^[A-Za-z0-9._:-]{1,200}$/.test(owner)) {
    throw new LeaseError("invalid_lease_options", "lease owner must be 1-200 characters of [A-Za-z0-9._:-]");
  }
  const now = options.now ?? (() => performance.now());
  const keys = (name: string) => [
    `${keyPrefix}lease:${name}`,
    `${keyPrefix}lease-token:${name}`,
    `${keyPrefix}lease-quarantine:${name}`,
  ];
  const stats = new Map<string, LeaseStats>();
  const statsOf = (name: string): LeaseStats => {
    let entry = stats.get(name);
    if (!entry) {
      entry = {
        name,
        owner,
        isHolder: false,
        token: 0,
        seenHolder: null,
        acquisitions: 0,
        renewals: 0,
        losses: 0,
        lastLostReason: null,
      };
      stats.set(name, entry);
    }
    return entry;
  };

  async function acquire(name: string, ttlMs: number, acquireOptions: { floor?: number } = {}) {
    const timing = leaseTiming(ttlMs, options.driftFactor);
    const entry = statsOf(name);
    if (entry.isHolder) throw new LeaseError("invalid_lease_options", `lease ${name} is already held by this process`);
    const floor = Math.max(acquireOptions.floor ?? 0, entry.token);
    const sentAt = now();
    const reply = (await redis.eval(ACQUIRE, {
      keys: keys(name),
      arguments: [owner, String(ttlMs), String(floor)],
    })) as [number, string, number];
    const [token, holder] = reply;
    if (token === 0) {
      entry.seenHolder = holder === "" || holder === "quarantine" ? null : holder;
      return null;
    }
    entry.acquisitions += 1;
    entry.isHolder = true;
    entry.token = token;
    entry.seenHolder = `${token}:${owner}`;
    return hold(name, token, timing, sentAt, entry);
  }

  function hold(name: string, token: number, timing: LeaseTiming, sentAt: number, entry: LeaseStats): HeldLease {
    const value = `${token}:${owner}`;
    const [leaseKey] = keys(name) as [string];
    let deadline = validUntil(timing, sentAt);
    let isOver = false;
    let renewTimer: NodeJS.Timeout | undefined;
    let deadlineTimer: NodeJS.Timeout | undefined;
    const listeners: Array<(reason: LostReason) => void> = [];

    const stop = () => {
      isOver = true;
      entry.isHolder = false;
      clearTimeout(renewTimer);
      clearTimeout(deadlineTimer);
    };
    const release = async () => {
      await redis.eval(RELEASE, { keys: [leaseKey], arguments: [value] });
    };
    const lose = (reason: LostReason) => {
      if (isOver) return;
      stop();
      entry.losses += 1;
      entry.lastLostReason = reason;
      for (const listener of listeners) listener(reason);
      // Frees the lease sooner when it is still ours (a renewal that failed on our side); never someone else's.
      release().catch(() => {});
    };
    const armDeadline = () => {
      clearTimeout(deadlineTimer);
      deadlineTimer = setTimeout(() => lose("deadline"), Math.max(0, deadline - now())).unref();
    };
    const renew = async () => {
      const renewSentAt = now();
      // A timer that fires past the deadline (a paused or starved process) must not extend a lease that may already be another's.
      if (renewSentAt >= deadline) return lose("renewal_late");
      let reply: unknown;
      try {
        reply = await redis.eval(RENEW, { keys: [leaseKey], arguments: [value, String(timing.ttlMs)] });
      } catch {
        return lose("renewal_failed");
      }
      if (isOver) return;
      if (reply !== 1) return lose("not_owner");
      if (now() >= deadline) return lose("renewal_late");
      deadline = validUntil(timing, renewSentAt);
      entry.renewals += 1;
      armDeadline();
      scheduleRenewal();
    };
    const scheduleRenewal = () => {
      renewTimer = setTimeout(() => void renew(), timing.renewEveryMs).unref();
    };
    armDeadline();
    scheduleRenewal();

    return {
      name,
      token,
      get expiresAt() {
        return Date.now() + Math.max(0, deadline - now());
      },
      isValid: () => !isOver && now() < deadline,
      onLost(listener) {
        listeners.push(listener);
      },
      async release() {
        if (isOver) return;
        stop();
        await release();
      },
    };
  }

  return {
    owner,
    timing: (ttlMs) => leaseTiming(ttlMs, options.driftFactor),
    acquire,
    stats: () => [...stats.values()].map((entry) => ({ ...entry })),
  };
}
