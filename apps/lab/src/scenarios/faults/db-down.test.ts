import { describe, expect, it } from "vitest";
import { claim, fixture } from "../testing.js";
import { type DbDownObservations, type DbDownVariant, type DbProbe, dbDown } from "./db-down.js";
import { noRelogin, summaryOf, timing } from "./testing/fixtures.js";

function variant(label: string, stack: "stateful" | "stateless"): DbDownVariant {
  return {
    label,
    stack,
    users: 10,
    summary: summaryOf({ errors: { "503 db_unavailable": 20 } }),
    relogin: noRelogin(),
    probe: {
      measuredWhileDown: true,
      loginDuring: 503,
      loginDuringCode: "db_unavailable",
      loginAfter: 200,
      loginAfterMs: 300,
      authOnlyTries: [200],
      meDuring: 503,
      meDuringCode: "db_unavailable",
    },
  };
}

const observations = fixture<DbDownObservations>(() => ({
  rate: 40,
  durationMs: 9000,
  down: timing("Postgres down", 1500),
  up: timing("Postgres back", 6500),
  recoveryBoundMs: 5000,
  variants: [variant("stateful", "stateful"), variant("stateless, denylist", "stateless")],
}));

const holdsFor = (o: DbDownObservations, prefix: string, label: string) => claim(dbDown.invariants(o), prefix, label);
/** The observations with the stateful variant's probe (and lost users) changed. */
const stateful = (probe: Partial<DbProbe>, usersLost = 0) =>
  observations((o) => {
    const v = o.variants[0] as DbDownVariant;
    v.probe = { ...v.probe, ...probe };
    v.relogin = { ...noRelogin(), users: usersLost };
  });

describe("db-down measure and invariants (pure)", () => {
  it("every invariant holds when logins 503, sessions survive and it heals", () => {
    expect(dbDown.invariants(observations()).every((i) => i.holds)).toBe(true);
  });

  it("a 401 during the outage, a user logged out, or auth needing Postgres breaks existing sessions", () => {
    for (const o of [
      stateful({ meDuring: 401 }),
      stateful({}, 2),
      stateful({ authOnlyTries: [503, 503, 503] }),
      stateful({ authOnlyTries: [401, 200] }),
      stateful({ measuredWhileDown: false }),
    ]) {
      expect(holdsFor(o, "db-down does not break existing sessions", "stateful")).toBe(false);
    }
  });

  it("a 2xx (or 500) login while Postgres is down, and no login after it, are caught", () => {
    expect(holdsFor(stateful({ loginDuring: 200 }), "logins during", "stateful")).toBe(false);
    expect(holdsFor(stateful({ loginDuring: 500 }), "logins during", "stateful")).toBe(false);
    expect(holdsFor(stateful({ loginAfter: 503 }), "recovers", "stateful")).toBe(false);
  });

  it("gives a postgres-down cell per stack", () => {
    const cells = dbDown.measure(observations()).faultCells ?? [];
    expect(cells.map((c) => `${c.fault} ${c.stack} ${c.errors}`)).toEqual([
      "postgres-down stateful 20 of 400 (503 db_unavailable × 20)",
      "postgres-down stateless 20 of 400 (503 db_unavailable × 20)",
    ]);
  });
});
