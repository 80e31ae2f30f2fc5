import type { AuthClient, Credentials } from "./client.js";
import type { SigningKey } from "./jwt.js";
import type { Mapping, RouteName } from "./mapping.js";

/** How the server authenticates a request: a session cookie or a bearer access token. */
export type Kind = "cookie" | "bearer";

/** The groups of the report, in the order it prints them. */
export const AREAS = ["contract", "sessions", "tokens", "login", "http"] as const;
export type Area = (typeof AREAS)[number];

/** What a check gets: the server, a client for its kind, and users of its own. */
export interface CheckContext {
  readonly kind: Kind;
  readonly baseUrl: string;
  readonly mapping: Mapping;
  readonly client: AuthClient;
  /** The path of a mapped route; skips the check when the mapping leaves the route out (null). */
  route(name: RouteName): string;
  /** A user this check may log in and out (not log out everywhere): one signup shared by the run, or --user. */
  user(): Promise<Credentials>;
  /** A user no other check touches (signs up); skips the check when signups are off (--user). */
  newUser(): Promise<Credentials>;
  /** A username nobody has: the checker's prefix and random bytes. */
  uniqueName(): string;
  /** False with --user: the check may not sign anyone up. */
  readonly signups: boolean;
  /**
   * The server's own signing key for tokens of `kid` (--signing-key), to forge
   * tokens with bad claims; skips the check without one.
   */
  signingKey(kid: unknown): SigningKey;
}

/**
 * One check: it passes when `run` resolves, fails when it throws (the message is
 * the reason), and is skipped when it throws SkipError. Every check includes a
 * positive control (the honest request works) so that it cannot pass against a
 * server that simply refuses everything.
 */
export interface Check {
  readonly id: string;
  readonly area: Area;
  readonly title: string;
  readonly kinds: readonly Kind[];
  run(ctx: CheckContext): Promise<void>;
}

/** Thrown by a check that cannot run against this server or with these options. */
export class SkipError extends Error {
  override readonly name = "SkipError";
}

export type CheckStatus = "pass" | "fail" | "skip";

export interface CheckResult {
  id: string;
  area: Area;
  title: string;
  status: CheckStatus;
  /** Why it failed or was skipped. */
  reason?: string;
  durationMs: number;
}
