import { createRoundRobin } from "./round-robin.js";
import type { Candidate, PickContext, Strategy } from "./strategy.js";

/**
 * HAProxy's `cookie SRV insert indirect`: the client carries the backend's id in a
 * cookie, so the proxy remembers nobody. A pinned backend that is down or draining is
 * not a candidate, so the request falls through to round robin and the proxy re-pins.
 */
export function createStickyCookie(): Strategy {
  const fallback = createRoundRobin();
  return {
    name: "sticky-cookie",
    pinsWithCookie: true,
    pick<T extends Candidate>(candidates: readonly T[], context: PickContext): T {
      if (context.pinnedId !== undefined) {
        for (const candidate of candidates) if (candidate.id === context.pinnedId) return candidate;
      }
      return fallback.pick(candidates, context);
    },
  };
}
