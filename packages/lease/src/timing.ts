import { LeaseError } from "./errors.js";

/** Redlock's allowance: the Redis server's clock may run up to 1 % faster than ours, plus 2 ms of timer granularity. */
export const DEFAULT_DRIFT_FACTOR = 0.01;
const DRIFT_FIXED_MS = 2;

export interface LeaseTiming {
  ttlMs: number;
  /** A renewal is sent this often: ttl/3, so two more can be tried before the lease runs out. */
  renewEveryMs: number;
  /** Subtracted from every validity window for clock drift between us and Redis. */
  driftMs: number;
  /** How long after a command was SENT the holder may still act on it: ttl − drift. */
  validForMs: number;
}

/**
 * The arithmetic that keeps a holder from acting on an expired lease. Redis
 * starts the key's TTL when it executes SET/PEXPIRE, which is after we sent it,
 * so counting from the send time (monotonic clock) can only end early: the
 * holder's deadline is `sentAt + ttl − drift`, always before Redis's
 * `executedAt + ttl` even if the server's clock runs `driftFactor` fast. The
 * round trip of the renewal itself is thereby charged to the holder, not to safety.
 */
export function leaseTiming(ttlMs: number, driftFactor = DEFAULT_DRIFT_FACTOR): LeaseTiming {
  if (!Number.isInteger(ttlMs) || ttlMs < 30 || ttlMs > 3_600_000) {
    throw new LeaseError("invalid_lease_options", `lease ttl must be an integer from 30 to 3600000 ms, got ${ttlMs}`);
  }
  if (!(driftFactor >= 0 && driftFactor < 0.3)) {
    throw new LeaseError("invalid_lease_options", `drift factor must be in [0, 0.3), got ${driftFactor}`);
  }
  const driftMs = Math.ceil(ttlMs * driftFactor) + DRIFT_FIXED_MS;
  const renewEveryMs = Math.floor(ttlMs / 3);
  return { ttlMs, renewEveryMs, driftMs, validForMs: ttlMs - driftMs };
}

/** The local (monotonic) instant until which a command sent at `sentAt` lets the holder act. */
export const validUntil = (timing: LeaseTiming, sentAt: number) => sentAt + timing.validForMs;
