import { describe, expect, it } from "vitest";
import { claim, fixture } from "../testing.js";
import { type PartitionObservations, type PartitionVariant, partition } from "./partition.js";
import { noRelogin, summaryOf, timing } from "./testing/fixtures.js";

function variant(
  label: string,
  stack: "stateful" | "stateless",
  change: Partial<PartitionVariant> = {},
): PartitionVariant {
  return {
    label,
    stack,
    users: 10,
    cut: `${label}-1`,
    summary: summaryOf(),
    relogin: noRelogin(),
    probe: {
      measuredWhileCut: true,
      logoutStatus: 204,
      meDuring: 503,
      meDuringCode: "store_unavailable",
      meAfter: 401,
      readyDuring: 503,
      proxySaw: "down",
    },
    ...change,
  };
}

const observations = fixture<PartitionObservations>(() => ({
  rate: 40,
  durationMs: 8000,
  partition: timing("cut off", 1500),
  heal: timing("healed", 5500),
  ejectBoundMs: 4000,
  variants: [variant("stateful", "stateful"), variant("stateless, denylist", "stateless")],
}));

const holdsFor = (o: PartitionObservations, prefix: string, label: string) =>
  claim(partition.invariants(o), prefix, label);

describe("partition measure and invariants (pure)", () => {
  it("every invariant holds when the cut-off instance refuses, goes unready and the others serve", () => {
    expect(partition.invariants(observations()).every((i) => i.holds)).toBe(true);
  });

  it("a revoked token accepted while cut off, or after the heal, breaks the revocation claim", () => {
    const during = observations((o) => {
      (o.variants[1] as PartitionVariant).probe.meDuring = 200;
    });
    expect(holdsFor(during, "a partitioned instance never accepts a revoked token", "stateless, denylist")).toBe(false);
    const after = observations((o) => {
      (o.variants[0] as PartitionVariant).probe.meAfter = 200;
    });
    expect(holdsFor(after, "a partitioned instance never accepts a revoked token", "stateful")).toBe(false);
    const cell = partition.measure(during).faultCells?.find((c) => c.stack === "stateless");
    expect(cell?.lost).toContain("revoked token ACCEPTED");
  });

  it("a probe answered after the partition ended measured nothing: the claim does not hold", () => {
    const o = observations((x) => {
      (x.variants[0] as PartitionVariant).probe.measuredWhileCut = false;
    });
    expect(holdsFor(o, "a partitioned instance never accepts a revoked token", "stateful")).toBe(false);
  });

  it("a ready cut-off instance, late errors or logged-out users are caught", () => {
    const o = observations((x) => {
      const v = x.variants[0] as PartitionVariant;
      v.probe.readyDuring = 200;
      v.summary = summaryOf({ lastErrorDuringFaultMs: 4500 });
    });
    expect(holdsFor(o, "the cut-off instance goes unready", "stateful")).toBe(false);
    expect(holdsFor(o, "the others serve", "stateful")).toBe(false);
    const lost = observations((x) => {
      (x.variants[1] as PartitionVariant).relogin = { ...noRelogin(), users: 1 };
    });
    expect(holdsFor(lost, "the others serve", "stateless, denylist")).toBe(false);
  });
});
