import { describe, expect, it } from "vitest";
import type { BarChart } from "../../compare/results.js";
import { fixture, holdsByName } from "../testing.js";
import { expiry } from "./expiry.js";
import type { ExpiryObservations } from "./expiry-report.js";

type StateVariant = ExpiryObservations["variants"][number];
type Stats = StateVariant["sessionKeys"];

const stats = (count: number, ttl: [number, number] | null, avgBytes = 520): Stats => ({
  count,
  avgBytes: count === 0 ? null : avgBytes,
  minTtlMs: ttl?.[0] ?? null,
  maxTtlMs: ttl?.[1] ?? null,
  withoutTtl: ttl === null ? count : 0,
});

const observations = fixture<ExpiryObservations>(() => ({
  abandoned: 20,
  slackMs: 1500,
  variants: [
    {
      label: "soft state, SESSION_TTL=2 s",
      state: "soft",
      ttlSeconds: 2,
      logins: 20,
      loginFailures: 0,
      loginSpanMs: 1700,
      waitedMs: 3500,
      afterLogin: { sessions: 20, indexes: 20, other: 0 },
      afterWait: { sessions: 0, indexes: 20, other: 0 },
      sessionKeys: stats(20, [548, 1994]),
      indexKeys: stats(20, [28_798_000, 28_800_000], 216),
    },
    {
      label: "hard state (no TTL)",
      state: "hard",
      ttlSeconds: null,
      logins: 20,
      loginFailures: 0,
      loginSpanMs: 1700,
      waitedMs: 1800,
      afterLogin: { sessions: 20, indexes: 20, other: 0 },
      afterWait: { sessions: 20, indexes: 20, other: 0 },
      sessionKeys: stats(20, null),
      indexKeys: stats(20, null, 216),
    },
  ],
  denylist: {
    label: "stateless, REVOCATION=denylist",
    accessTtlSeconds: 300,
    logouts: 10,
    logoutFailures: 0,
    jti: stats(10, [303_000, 304_800], 136),
    fid: stats(10, [304_900, 305_000], 136),
    foreign: 0,
  },
}));

const soft = (o: ExpiryObservations) => o.variants[0] as StateVariant;
const hard = (o: ExpiryObservations) => o.variants[1] as StateVariant;
const holds = (o: ExpiryObservations) => holdsByName(expiry.invariants(o));

describe("expiry invariants", () => {
  it("soft state with 0 session keys left and hard state with all N → every invariant holds", () => {
    expect(holds(observations())).toEqual({
      "soft expiry leaves 0 orphans": true,
      "hard state leaves every abandoned session (20)": true,
      "every denylist entry carries a TTL": true,
    });
  });

  it("one soft session key left after the TTL breaks 'soft expiry leaves 0 orphans'", () => {
    const o = observations((o) => {
      soft(o).afterWait.sessions = 1;
    });
    expect(holds(o)["soft expiry leaves 0 orphans"]).toBe(false);
  });

  it("index keys left under soft state are reported, not held against soft expiry", () => {
    const [softInvariant] = expiry.invariants(observations());
    expect(softInvariant?.holds).toBe(true);
    expect(softInvariant?.detail).toContain("index keys left: 20");
  });

  it("no soft session in Redis right after login → soft expiry proves nothing and does not hold", () => {
    const o = observations((o) => {
      soft(o).afterLogin.sessions = 0;
    });
    expect(holds(o)["soft expiry leaves 0 orphans"]).toBe(false);
  });

  it("hard state that lost a session, or a failed login, breaks the hard-state invariant", () => {
    const lost = observations((o) => {
      hard(o).afterWait.sessions = 19;
    });
    const failed = observations((o) => {
      hard(o).logins = 19;
      hard(o).loginFailures = 1;
      hard(o).afterWait.sessions = 19;
    });
    expect(holds(lost)["hard state leaves every abandoned session (20)"]).toBe(false);
    expect(holds(failed)["hard state leaves every abandoned session (20)"]).toBe(false);
  });

  it("a denylist key without TTL, or fewer keys than logouts, breaks the denylist invariant", () => {
    const persistent = observations((o) => {
      o.denylist.fid.withoutTtl = 1;
    });
    const missing = observations((o) => {
      o.denylist.jti.count = 9;
    });
    expect(holds(persistent)["every denylist entry carries a TTL"]).toBe(false);
    expect(holds(missing)["every denylist entry carries a TTL"]).toBe(false);
  });
});

describe("expiry measure", () => {
  it("charts the keys left after the wait, sessions and index keys apart", () => {
    const chart = expiry.measure(observations()).charts[0] as BarChart;
    expect(chart.categories).toEqual(["soft state, SESSION_TTL=2 s", "hard state (no TTL)"]);
    expect(chart.series).toEqual([
      { label: "session keys (sess:)", values: [0, 20] },
      { label: "per-user index keys", values: [20, 20] },
    ]);
  });

  it("reads the run's numbers: soft cleaned up, hard kept all, index keys outlived the sessions", () => {
    const { reading } = expiry.measure(observations());
    expect(reading[0]).toContain("0 of 20 abandoned sessions were still in Redis 3.5 s after the last login");
    expect(reading[1]).toContain("20 of 20 abandoned sessions stayed");
    expect(reading[2]).toContain("20 index keys (216 B each) outlived them");
    expect(reading[3]).toContain("272 B per logout");
  });

  it("says so when soft expiry left sessions, and when the index expired with them", () => {
    const o = observations((o) => {
      soft(o).afterWait = { sessions: 3, indexes: 0, other: 0 };
    });
    const { reading } = expiry.measure(o);
    expect(reading[0]).toContain("3 of 20");
    expect(reading[0]).toContain("did not remove all of them");
    expect(reading[2]).toContain("expired with the sessions");
  });

  it("reads the index keys' TTLs as Redis reported them: an 8 h TTL, or none at all", () => {
    expect(expiry.measure(observations()).reading[2]).toContain(
      "every one had a TTL of 8.0 h, against 2 s for the sessions",
    );
    const persistent = observations((o) => {
      soft(o).indexKeys = stats(20, null, 216);
    });
    expect(expiry.measure(persistent).reading[2]).toContain("none of them had a TTL, so they never expire");
  });

  it("the memory table has one row per kind of entry, with the bytes and the TTL Redis reported", () => {
    const table = expiry.measure(observations()).tables[1];
    expect(table?.rows.map((row) => row[0])).toEqual([
      "session, soft state, SESSION_TTL=2 s",
      "per-user index, soft state, SESSION_TTL=2 s",
      "session, hard state (no TTL)",
      "per-user index, hard state (no TTL)",
      "denylist jti (stateless logout)",
      "denylist device family (stateless logout)",
    ]);
    expect(table?.rows[2]).toEqual(["session, hard state (no TTL)", 20, 520, "none", 20]);
  });
});
