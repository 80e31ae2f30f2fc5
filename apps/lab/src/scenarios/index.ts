import type { Scenario } from "../compare/scenario.js";
import { clockSkew } from "./faults/clock-skew.js";
import { crash } from "./faults/crash.js";
import { dbDown } from "./faults/db-down.js";
import { partition } from "./faults/partition.js";
import { pause } from "./faults/pause.js";
import { proxyRestart } from "./faults/proxy-restart.js";
import { storeOutage } from "./faults/store-outage.js";
import { storeSlow } from "./faults/store-slow.js";
import { leaseHandoff } from "./lease/lease-handoff.js";
import { majorityLoss } from "./quorum/majority-loss.js";
import { redundancyThroughput } from "./quorum/redundancy-throughput.js";
import { splitBrain } from "./quorum/split-brain.js";
import { staleness } from "./quorum/staleness.js";
import { authFlood } from "./security/auth-flood.js";
import { connectionBinding } from "./sessions/connection-binding.js";
import { expiry } from "./sessions/expiry.js";
import { refreshRace } from "./sessions/refresh-race.js";
import { revocation } from "./sessions/revocation.js";
import { routing } from "./sessions/routing.js";
import { baseline } from "./throughput/baseline.js";
import { scaleOut } from "./throughput/scale-out.js";

/** Every scenario, in the order a comparison runs them. A new scenario is a new file plus one line here. */
export const scenarios: Scenario[] = [
  baseline,
  routing,
  crash,
  pause,
  storeOutage,
  scaleOut,
  expiry,
  revocation,
  connectionBinding,
  refreshRace,
  storeSlow,
  dbDown,
  proxyRestart,
  partition,
  clockSkew,
  staleness,
  majorityLoss,
  redundancyThroughput,
  splitBrain,
  leaseHandoff,
  authFlood,
];
