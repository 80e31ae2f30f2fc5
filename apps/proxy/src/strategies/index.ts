import { createLeastConnections } from "./least-connections.js";
import { createRoundRobin } from "./round-robin.js";
import { createSourceHash } from "./source-hash.js";
import { createStickyCookie } from "./sticky-cookie.js";
import type { Strategy, StrategyName } from "./strategy.js";

export { createLeastConnections } from "./least-connections.js";
export { createRoundRobin } from "./round-robin.js";
export { createSourceHash } from "./source-hash.js";
export { createStickyCookie } from "./sticky-cookie.js";
export {
  type Candidate,
  isStrategyName,
  type PickContext,
  type Strategy,
  type StrategyName,
  strategyNames,
} from "./strategy.js";

const factories: Record<StrategyName, () => Strategy> = {
  "round-robin": createRoundRobin,
  "least-connections": createLeastConnections,
  "sticky-cookie": createStickyCookie,
  "source-hash": createSourceHash,
};

/** A fresh strategy by name; its only state is a rotation counter, never anything per user. */
export function createStrategy(name: StrategyName): Strategy {
  return factories[name]();
}
