import type { Scenario } from "../scenario.js";
import { authFlood } from "./auth-flood.js";
import { baseline } from "./baseline.js";
import { clockSkew } from "./clock-skew.js";
import { connectionBinding } from "./connection-binding.js";
import { crash } from "./crash.js";
import { dbDown } from "./db-down.js";
import { expiry } from "./expiry.js";
import { leaseHandoff } from "./lease-handoff.js";
import { majorityLoss } from "./majority-loss.js";
import { partition } from "./partition.js";
import { pause } from "./pause.js";
import { proxyRestart } from "./proxy-restart.js";
import { redundancyThroughput } from "./redundancy-throughput.js";
import { refreshRace } from "./refresh-race.js";
import { revocation } from "./revocation.js";
import { routing } from "./routing.js";
import { scaleOut } from "./scale-out.js";
import { splitBrain } from "./split-brain.js";
import { staleness } from "./staleness.js";
import { storeOutage } from "./store-outage.js";
import { storeSlow } from "./store-slow.js";

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
