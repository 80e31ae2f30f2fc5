import { describe, expect, it } from "vitest";
import type { Scenario, ScenarioContext } from "../../compare/scenario.js";
import { majorityLoss } from "./majority-loss.js";
import { type RedundancyObservations, redundancyThroughput } from "./redundancy-throughput.js";
import { splitBrain } from "./split-brain.js";
import { staleness } from "./staleness.js";

/** What the quorum scenarios use of a context: they start their own Redis servers and relays, no stacks. */
const context: ScenarioContext = {
  shared: {} as ScenarioContext["shared"],
  log: () => {},
  progress: () => ({ update: () => {}, done: () => {} }),
  stack: () => Promise.reject(new Error("the quorum scenarios start no stacks")),
  users: () => Promise.reject(new Error("no users")),
  prefixOf: () => "",
  privateRedis: () => Promise.reject(new Error("no private Redis")),
  relay: () => Promise.reject(new Error("the quorum scenarios start their own relays")),
  fault: () => Promise.reject(new Error("the quorum scenarios inject their faults through their own relays")),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

async function quickRun(scenario: Scenario) {
  const started = Date.now();
  const observations = await scenario.run(context, scenario.timing.quick);
  return { observations, seconds: (Date.now() - started) / 1000, invariants: scenario.invariants(observations) };
}

describe("quorum scenarios, quick, on real Redis servers behind fault relays", () => {
  it("staleness: no stale read when R + W > N; stale reads measured otherwise", async () => {
    const { invariants } = await quickRun(staleness);
    expect(invariants.filter((i) => !i.holds)).toEqual([]);
  }, 60_000);

  it("majority-loss: availability follows the quorum arithmetic; no acknowledged write lost", async () => {
    const { invariants, seconds } = await quickRun(majorityLoss);
    expect(invariants.filter((i) => !i.holds)).toEqual([]);
    expect(seconds).toBeLessThan(30);
  }, 60_000);

  it("redundancy-throughput: every point measured without errors", async () => {
    const { observations, invariants } = await quickRun(redundancyThroughput);
    expect(invariants.filter((i) => !i.holds)).toEqual([]);
    expect((observations as RedundancyObservations).points.map((p) => p.n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  }, 60_000);

  it("split-brain: only the majority side writes at W > N/2; nothing acknowledged is lost after healing", async () => {
    const { invariants } = await quickRun(splitBrain);
    expect(invariants.filter((i) => !i.holds)).toEqual([]);
  }, 60_000);
});
