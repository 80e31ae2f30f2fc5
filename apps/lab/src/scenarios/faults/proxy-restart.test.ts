import { describe, expect, it } from "vitest";
import { claim, fixture } from "../testing.js";
import { type ProxyRestartObservations, type ProxyRestartVariant, proxyRestart } from "./proxy-restart.js";
import { noRelogin, summaryOf, timing } from "./testing/fixtures.js";

function variant(label: string, stack: "stateful" | "stateless", memory: boolean): ProxyRestartVariant {
  return {
    label,
    stack,
    memory,
    users: 10,
    backMs: 6000,
    summary: summaryOf({ errors: { "no answer ECONNREFUSED": 20 } }),
    relogin: noRelogin(),
  };
}

const observations = fixture<ProxyRestartObservations>(() => ({
  rate: 30,
  durationMs: 8000,
  restart: timing("proxy restart", 2000),
  recoveryBoundMs: 3000,
  variants: [
    variant("stateful, Redis store", "stateful", false),
    variant("stateful, memory store, sticky", "stateful", true),
    variant("stateless", "stateless", false),
  ],
}));

const holdsFor = (o: ProxyRestartObservations, prefix: string, label: string) =>
  claim(proxyRestart.invariants(o), prefix, label);

describe("proxy-restart measure and invariants (pure)", () => {
  it("every invariant holds when nobody is logged out and errors end once the proxy is back", () => {
    expect(proxyRestart.invariants(observations()).every((i) => i.holds)).toBe(true);
  });

  it("a user logged out (even with the memory store) breaks 'no session lost'", () => {
    const o = observations((x) => {
      (x.variants[1] as ProxyRestartVariant).relogin = { ...noRelogin(), users: 3 };
    });
    expect(holdsFor(o, "no session lost on proxy restart", "stateful, memory store, sticky")).toBe(false);
  });

  it("a proxy that never came back, or errors long after, are caught", () => {
    const o = observations((x) => {
      (x.variants[0] as ProxyRestartVariant).backMs = null;
      (x.variants[2] as ProxyRestartVariant).summary = summaryOf({ lastErrorAfterHealMs: 4000 });
    });
    expect(holdsFor(o, "errors end within", "stateful, Redis store")).toBe(false);
    expect(holdsFor(o, "errors end within", "stateless")).toBe(false);
  });

  it("the matrix gets the default stacks only (the memory store is this scenario's extra)", () => {
    const cells = proxyRestart.measure(observations()).faultCells ?? [];
    expect(cells.map((c) => c.stack)).toEqual(["stateful", "stateless"]);
    expect(cells[0]?.recovery).toBe("proxy back after 4.0 s; no error after it was back");
  });
});
