import { describe, expect, it } from "vitest";
import type { BarChart } from "../../compare/results.js";
import { fixture, holdsByName, variantByKey } from "../testing.js";
import { type ConnectionBindingObservations, connectionBinding } from "./connection-binding.js";

type Variant = ConnectionBindingObservations["variants"][number];

const variant = (key: Variant["key"], label: string, change: Partial<Variant> = {}): Variant => ({
  key,
  label,
  requests: 50,
  servedAsA: 0,
  servedAsOther: 0,
  refused: 50,
  otherStatus: 0,
  errors: 0,
  perInstance: {},
  loginInstance: `${key}-1`,
  ownConnectionStatus: null,
  ...change,
});

const observations = fixture<ConnectionBindingObservations>(() => ({
  requestsPerVariant: 50,
  variants: [
    variant("connection-proxy", "connection, via the proxy", {
      servedAsA: 16,
      refused: 34,
      loginInstance: "sf-conn-2",
      perInstance: {
        "sf-conn-1": { answered: 17, servedAsA: 0 },
        "sf-conn-2": { answered: 17, servedAsA: 16 },
        "sf-conn-3": { answered: 16, servedAsA: 0 },
      },
    }),
    variant("cookie-proxy", "cookie, via the proxy"),
    variant("connection-direct", "connection, direct", { ownConnectionStatus: 200 }),
  ],
}));

const get = (o: ConnectionBindingObservations, key: Variant["key"]) => variantByKey(o, key);
const holds = (o: ConnectionBindingObservations) => holdsByName(connectionBinding.invariants(o));
const LEAK = "behind a pooling proxy, connection binding serves other clients as the logged-in user";
const COOKIE = "cookie binding never does";
const DIRECT = "without a pooling hop, connection binding serves no other client";

describe("connection-binding invariants", () => {
  it("a leak through the proxy, none with cookies, none over new direct connections → every invariant holds", () => {
    expect(holds(observations())).toEqual({ [LEAK]: true, [COOKIE]: true, [DIRECT]: true });
  });

  it("no stranger served as A through the proxy breaks the leak invariant", () => {
    const o = observations((o) => {
      Object.assign(get(o, "connection-proxy"), { servedAsA: 0, refused: 50 });
    });
    expect(holds(o)[LEAK]).toBe(false);
  });

  it("one stranger served as A with cookie binding breaks 'cookie binding never does'", () => {
    const o = observations((o) => {
      Object.assign(get(o, "cookie-proxy"), { servedAsA: 1, refused: 49 });
    });
    expect(holds(o)[COOKIE]).toBe(false);
  });

  it("cookie binding with no 401 at all (nothing answered) proves nothing and does not hold", () => {
    const o = observations((o) => {
      Object.assign(get(o, "cookie-proxy"), { refused: 0, errors: 50 });
    });
    expect(holds(o)[COOKIE]).toBe(false);
  });

  it("direct: a leak, or a binding that was not live on A's own connection, breaks the direct invariant", () => {
    const leak = observations((o) => {
      Object.assign(get(o, "connection-direct"), { servedAsA: 1, refused: 49 });
    });
    const dead = observations((o) => {
      get(o, "connection-direct").ownConnectionStatus = 401;
    });
    expect(holds(leak)[DIRECT]).toBe(false);
    expect(holds(dead)[DIRECT]).toBe(false);
  });
});

describe("connection-binding measure", () => {
  it("stacks served-as-A, 401 and the rest per variant", () => {
    const chart = connectionBinding.measure(observations()).charts[0] as BarChart;
    expect(chart.stacked).toBe(true);
    expect(chart.series.map((s) => s.values)).toEqual([
      [16, 0, 0],
      [34, 50, 50],
      [0, 0, 0],
    ]);
  });

  it("reads which instance leaked and how many of its answers, from this run's numbers", () => {
    const { reading } = connectionBinding.measure(observations());
    expect(reading[0]).toContain("16 of 50 cookieless requests from other clients (32.0%) were answered 200 as user A");
    expect(reading[0]).toContain("16 of the 17 that sf-conn-2, the instance A's login went to, answered");
    expect(reading[1]).toContain("0 of 50 were served as A");
    expect(reading[2]).toContain("A's own connection was served as A without any cookie");
  });

  it("says so when no stranger was served as A, and when leaks came from another instance than A's", () => {
    const none = connectionBinding.measure(
      observations((o) => {
        Object.assign(get(o, "connection-proxy"), { servedAsA: 0, refused: 50, perInstance: {} });
      }),
    ).reading;
    expect(none[0]).toContain("none this run");
    const elsewhere = connectionBinding.measure(
      observations((o) => {
        get(o, "connection-proxy").loginInstance = "sf-conn-1";
      }),
    ).reading;
    expect(elsewhere[0]).toContain("(by sf-conn-2: 16 of 17; A's login went to sf-conn-1)");
  });

  it("counts a leak as fail and an unanswered request as unknown", () => {
    const { outcomes } = connectionBinding.measure(
      observations((o) => {
        Object.assign(get(o, "cookie-proxy"), { refused: 48, errors: 2 });
      }),
    );
    expect(outcomes["connection, via the proxy"]).toEqual({ ok: 34, fail: 16, unknown: 0 });
    expect(outcomes["cookie, via the proxy"]).toEqual({ ok: 48, fail: 0, unknown: 2 });
  });
});
