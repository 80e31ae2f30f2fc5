import type { Candidate, Strategy } from "./strategy.js";

/** Rotates through the available backends; over N·k requests each gets exactly k while the set is stable. */
export function createRoundRobin(): Strategy {
  let next = 0;
  return {
    name: "round-robin",
    pinsWithCookie: false,
    pick<T extends Candidate>(candidates: readonly T[]): T {
      // Modulo of the current length so the rotation survives backends leaving and returning.
      const chosen = candidates[next % candidates.length] as T;
      next = (next + 1) % 1_000_000_007;
      return chosen;
    },
  };
}
