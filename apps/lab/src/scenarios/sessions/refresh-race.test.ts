import { describe, expect, it } from "vitest";
import type { BarChart } from "../../compare/results.js";
import { fixture, holdsByName, variantByKey } from "../testing.js";
import { type RefreshRaceObservations, raceCodes, refreshRace } from "./refresh-race.js";

type Variant = RefreshRaceObservations["variants"][number];
type UserRace = Variant["users"][number];

const REUSED = "401 refresh_reused";
const strictUser = (): UserRace => ({
  race: [REUSED, "200", REUSED],
  followUps: ["401 token_invalid"],
  loggedOut: true,
});
const graceUser = (): UserRace => ({ race: ["200", "200", "200"], followUps: ["200", "200", "200"], loggedOut: false });

const observations = fixture<RefreshRaceObservations>(() => ({
  tabs: 3,
  instances: 3,
  variants: [
    { key: "strict", label: "REFRESH_GRACE=0 (default)", graceSeconds: 0, users: [strictUser(), strictUser()] },
    { key: "grace", label: "REFRESH_GRACE=5", graceSeconds: 5, users: [graceUser(), graceUser()] },
  ],
}));

const get = (o: RefreshRaceObservations, key: Variant["key"]) => variantByKey(o, key);
const holds = (o: RefreshRaceObservations) => holdsByName(refreshRace.invariants(o));
const LOGS_OUT = "without a grace window, racing tabs log users out";
const ONE_WINS = "without a grace window exactly one racing tab wins";
const GRACE = "with REFRESH_GRACE=5 no user is logged out";

describe("refresh-race invariants", () => {
  it("strict: one winner and the family revoked; grace: everyone through → every invariant holds", () => {
    expect(holds(observations())).toEqual({ [LOGS_OUT]: true, [ONE_WINS]: true, [GRACE]: true });
  });

  it("no user logged out without a grace window breaks the first invariant", () => {
    const o = observations((o) => {
      get(o, "strict").users = [graceUser()];
    });
    expect(holds(o)[LOGS_OUT]).toBe(false);
    expect(holds(o)[ONE_WINS]).toBe(false);
  });

  it("two racers both winning without a grace window breaks 'exactly one wins'", () => {
    const o = observations((o) => {
      get(o, "strict").users[1] = { race: ["200", "200", REUSED], followUps: ["401 token_invalid"], loggedOut: true };
    });
    expect(holds(o)[ONE_WINS]).toBe(false);
    expect(refreshRace.invariants(o)[1]?.detail).toBe("winners per race: 1, 2");
  });

  it("one user logged out with REFRESH_GRACE=5, or no user at all, breaks the grace invariant", () => {
    const one = observations((o) => {
      get(o, "grace").users[0] = strictUser();
    });
    const empty = observations((o) => {
      get(o, "grace").users = [];
    });
    expect(holds(one)[GRACE]).toBe(false);
    expect(holds(empty)[GRACE]).toBe(false);
  });
});

describe("refresh-race measure", () => {
  it("counts racing refreshes by answer, follow-ups apart", () => {
    expect(raceCodes(get(observations(), "strict"))).toEqual({ "200": 2, [REUSED]: 4 });
  });

  it("table and charts carry each answer code as a column / series, and users logged out per variant", () => {
    const measured = refreshRace.measure(observations());
    const [table] = measured.tables;
    expect(table?.columns).toEqual([
      "variant",
      "users",
      "racing refreshes",
      "200",
      REUSED,
      "follow-ups 200",
      "users logged out",
      "share logged out",
    ]);
    expect(table?.rows).toEqual([
      ["REFRESH_GRACE=0 (default)", 2, 6, 2, 4, "0 of 2", 2, "100%"],
      ["REFRESH_GRACE=5", 2, 6, 6, 0, "6 of 6", 0, "0%"],
    ]);
    const [users, codes] = measured.charts as BarChart[];
    expect(users?.series[0]).toEqual({ label: "logged out (family revoked)", values: [2, 0] });
    expect(codes?.series).toEqual([
      { label: "200", values: [2, 6] },
      { label: REUSED, values: [4, 0] },
    ]);
  });

  it("reads this run's numbers, and the grace window's price", () => {
    const { reading } = refreshRace.measure(observations());
    expect(reading[0]).toContain(
      "2 of 2 users (3 tabs each, on 3 instances) were logged out by a false theft detection",
    );
    expect(reading[0]).toContain("0 of 2 winners' next refresh succeeded (2 × 401 token_invalid)");
    expect(reading[1]).toContain("With REFRESH_GRACE=5, 0 of 2 users were logged out");
    expect(reading[2]).toContain("replayed within 5 s");
    expect(reading[2]).toContain("100% of these multi-tab users had to log in again");
  });

  it("says so when the strict variant logged nobody out", () => {
    const { reading } = refreshRace.measure(
      observations((o) => {
        get(o, "strict").users = [graceUser()];
      }),
    );
    expect(reading[0]).toContain("0 of 1 users");
    expect(reading[0]).toContain("no race was taken for theft this run");
  });
});
