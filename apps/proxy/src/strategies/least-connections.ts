import type { Candidate, Strategy } from "./strategy.js";

/** Picks the backend with the fewest in-flight requests; ties rotate so idle backends share the load. */
export function createLeastConnections(): Strategy {
  let offset = 0;
  return {
    name: "least-connections",
    pinsWithCookie: false,
    pick<T extends Candidate>(candidates: readonly T[]): T {
      const n = candidates.length;
      const start = offset++ % n;
      let best = candidates[start] as T;
      for (let i = 1; i < n; i++) {
        const candidate = candidates[(start + i) % n] as T;
        if (candidate.inFlight < best.inFlight) best = candidate;
      }
      return best;
    },
  };
}
