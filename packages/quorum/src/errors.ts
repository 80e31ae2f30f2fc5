import type { Version } from "./version.js";

/** What went wrong, as a stable code: callers branch on it, never on the message. */
export type QuorumErrorCode = "invalid_config" | "unavailable" | "condition_failed";

/** The one base class of every error the quorum client throws. */
export class QuorumError extends Error {
  override readonly name: string = "QuorumError";
  readonly code: QuorumErrorCode;

  constructor(code: QuorumErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** N, R or W out of range: thrown when the client is built, never per request. */
export class QuorumConfigError extends QuorumError {
  override readonly name = "QuorumConfigError";

  constructor(problems: readonly string[]) {
    super("invalid_config", `invalid quorum configuration: ${problems.join("; ")}`);
  }
}

/** Why one replica did not count towards a quorum. */
export interface ReplicaFailure {
  replica: string;
  reason: string;
}

/**
 * Fewer than the needed replicas answered in time. A write that fails this way may
 * still have reached some replicas (`maybeApplied`): its outcome is unknown, not failed.
 */
export class QuorumUnavailableError extends QuorumError {
  override readonly name = "QuorumUnavailableError";
  readonly operation: "read" | "write";
  readonly needed: number;
  readonly answered: number;
  readonly failures: readonly ReplicaFailure[];
  readonly maybeApplied: boolean;
  /** The version the write would have had, once it got that far (a history needs it to judge later reads). */
  readonly version: Version | null;

  constructor(details: {
    operation: "read" | "write";
    needed: number;
    answered: number;
    failures: readonly ReplicaFailure[];
    maybeApplied: boolean;
    version?: Version | null;
  }) {
    const why = details.failures.map((f) => `${f.replica}: ${f.reason}`).join(", ");
    super(
      "unavailable",
      `quorum ${details.operation} unavailable: ${details.answered} of the ${details.needed} replicas needed answered (${why || "none failed yet"})`,
    );
    this.operation = details.operation;
    this.needed = details.needed;
    this.answered = details.answered;
    this.failures = details.failures;
    this.maybeApplied = details.maybeApplied;
    this.version = details.version ?? null;
  }
}

/** A conditional write whose condition (the key exists / is absent) did not hold at the latest version. */
export class QuorumConditionError extends QuorumError {
  override readonly name = "QuorumConditionError";

  constructor(key: string, condition: "exists" | "absent") {
    super("condition_failed", `write to ${key} needs the key to be ${condition === "exists" ? "live" : "absent"}`);
  }
}
