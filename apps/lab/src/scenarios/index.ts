import type { Scenario } from "../scenario.js";
import { routing } from "./routing.js";

/** Every scenario, in the order a comparison runs them. A new scenario is a new file plus one line here. */
export const scenarios: Scenario[] = [routing];
