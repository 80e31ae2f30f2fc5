export type LeaseErrorCode = "stale_fence" | "invalid_lease_options";

/** The one error base of the lease package: a stable `code` and the `cause`. */
export class LeaseError extends Error {
  override readonly name: string = "LeaseError";
  constructor(
    readonly code: LeaseErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Postgres refused a guarded write: its fencing token is lower than the highest
 * token already seen for the resource, so a newer holder exists (the writer was
 * paused, partitioned or slow past its lease).
 */
export class StaleFenceError extends LeaseError {
  override readonly name = "StaleFenceError";
  constructor(
    readonly resource: string,
    readonly token: number,
    readonly highest: number,
  ) {
    super("stale_fence", `fencing token ${token} for ${resource} is stale: ${highest} was already seen`);
  }
}
