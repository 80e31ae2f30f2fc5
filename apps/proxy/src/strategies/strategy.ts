/** The four ways the proxy picks a backend; also the names HAProxy/nginx configs are rendered for. */
export const strategyNames = ["round-robin", "least-connections", "sticky-cookie", "source-hash"] as const;
export type StrategyName = (typeof strategyNames)[number];

/** What a strategy may look at: identity and load, nothing about users. */
export interface Candidate {
  readonly id: string;
  readonly inFlight: number;
}

export interface PickContext {
  /** The TCP peer address (never X-Forwarded-For, which a client can forge). */
  readonly clientIp: string;
  /** The backend id named by the sticky cookie, if the client sent one. */
  readonly pinnedId: string | undefined;
}

/** Picks one of the available backends; `candidates` is never empty. */
export interface Strategy {
  readonly name: StrategyName;
  /** True when the proxy must (re-)insert the sticky cookie naming the chosen backend. */
  readonly pinsWithCookie: boolean;
  pick<T extends Candidate>(candidates: readonly T[], context: PickContext): T;
}

export function isStrategyName(value: unknown): value is StrategyName {
  return typeof value === "string" && (strategyNames as readonly string[]).includes(value);
}
