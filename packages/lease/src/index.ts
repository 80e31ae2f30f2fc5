export { LeaseError, type LeaseErrorCode, StaleFenceError } from "./errors.js";
export { createFence, type Fence, type FencedWrite } from "./fence.js";
export {
  createLeases,
  type HeldLease,
  type LeaseRedis,
  type LeaseStats,
  type Leases,
  type LeasesOptions,
  type LostReason,
} from "./lease.js";
export { registerLeaseMetrics } from "./metrics.js";
export { leaseMigrations } from "./migrations.js";
export {
  type Singleton,
  type SingletonLogger,
  type SingletonOptions,
  type SingletonRun,
  type SingletonStats,
  startSingleton,
} from "./singleton.js";
export { DEFAULT_DRIFT_FACTOR, type LeaseTiming, leaseTiming } from "./timing.js";
