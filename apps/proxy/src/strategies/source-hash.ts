import type { Candidate, PickContext, Strategy } from "./strategy.js";

/** FNV-1a: fast, and good enough to spread a handful of backends; nothing here needs a keyed hash. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32) so ids differing in one character still spread.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * Client IP affinity by rendezvous hashing: each IP ranks the backends by hash(ip, id)
 * and takes the best available one, so losing a backend moves only its own clients
 * (like HAProxy's `balance source` with `hash-type consistent`).
 */
export function createSourceHash(): Strategy {
  return {
    name: "source-hash",
    pinsWithCookie: false,
    pick<T extends Candidate>(candidates: readonly T[], context: PickContext): T {
      let best = candidates[0] as T;
      let bestScore = -1;
      for (const candidate of candidates) {
        const score = fnv1a(`${context.clientIp}|${candidate.id}`);
        if (score > bestScore) {
          best = candidate;
          bestScore = score;
        }
      }
      return best;
    },
  };
}
