import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot } from "@statelab/infra";
import { describe, expect, inject, it } from "vitest";
import { compare } from "./compare.js";
import type { Results } from "./results.js";

/**
 * A quick comparison against real processes, end to end, asserting the claims
 * the report makes: the invariants each scenario computes from its own numbers.
 */
describe("statelab compare --quick (routing, expiry, revocation, crash, db-down, proxy-restart, partition)", () => {
  it("writes the report, and the invariants it claims hold", async () => {
    const outDir = mkdtempSync(path.join(tmpdir(), "statelab-compare-"));
    const { results, files } = await compare(
      {
        scenarios: ["routing", "expiry", "revocation", "crash", "db-down", "proxy-restart", "partition"],
        quick: true,
        outDir,
        silent: true,
        infraEnv: {
          DATABASE_URL: inject("databaseUrl"),
          REDIS_URL: inject("redisUrl"),
          // Its own lock, so a developer's running comparison and the suite never block each other.
          STATELAB_HOME: path.join(projectRoot, ".statelab", "test-compare"),
        },
      },
      () => {},
    );

    const invariant = (scenario: string, name: string) => {
      const found = results.scenarios.find((s) => s.id === scenario);
      expect(found?.error, `${scenario} ran`).toBeUndefined();
      const claim = found?.invariants.find((i) => i.name === name);
      expect(claim, `${scenario} checks "${name}"`).toBeDefined();
      return claim;
    };
    expect(invariant("routing", "memory store behind round-robin loses users")?.holds).toBe(true);
    expect(invariant("routing", "stateless behind round-robin loses none")?.holds).toBe(true);
    expect(invariant("routing", "memory store behind sticky cookies loses none")?.holds).toBe(true);
    expect(invariant("expiry", "soft expiry leaves 0 orphans")?.holds).toBe(true);
    expect(invariant("revocation", "revocation latency is 0 with a denylist")?.holds).toBe(true);
    expect(invariant("crash", "no session lost on a crash: stateful, Redis store")?.holds).toBe(true);
    for (const stack of ["stateful", "stateless, denylist"]) {
      expect(invariant("partition", `a partitioned instance never accepts a revoked token: ${stack}`)?.holds).toBe(
        true,
      );
      expect(invariant("db-down", `db-down does not break existing sessions: ${stack}`)?.holds).toBe(true);
    }
    for (const stack of ["stateful, Redis store", "stateful, memory store, sticky", "stateless"]) {
      expect(invariant("proxy-restart", `no session lost on proxy restart: ${stack}`)?.holds).toBe(true);
    }
    for (const scenario of results.scenarios) {
      for (const claim of scenario.invariants)
        expect(claim.holds, `${scenario.id}: ${claim.name} — ${claim.detail}`).toBe(true);
      expect(scenario.reading.length, `${scenario.id} has a reading`).toBeGreaterThan(0);
    }

    // The report is what was measured: results.json round-trips, the HTML is self-contained.
    const written = JSON.parse(readFileSync(files.json, "utf8")) as Results;
    expect(written.scenarios.map((s) => s.id)).toEqual([
      "routing",
      "crash",
      "expiry",
      "revocation",
      "db-down",
      "proxy-restart",
      "partition",
    ]); // registry order
    // The fault matrix: all 8 faults, a measured cell for each fault that ran, "not run" for the others.
    const matrix = written.faultMatrix;
    expect(matrix?.rows).toHaveLength(8);
    const row = (fault: string) => matrix?.rows.find((r) => String(r[0]).startsWith(fault));
    for (const fault of ["crash", "Postgres down", "proxy restart", "app↔Redis partition"]) {
      expect(String(row(fault)?.[2])).toMatch(/^errors \d+ of \d+/);
      expect(String(row(fault)?.[3])).toMatch(/^errors \d+ of \d+/);
    }
    expect(row("pause")?.[2]).toBe("not run");
    expect(readFileSync(files.markdown, "utf8")).toContain("## Fault matrix");
    expect(written.environment.cpus).toBeGreaterThan(0);
    expect(written.environment.postgres).toMatch(/PostgreSQL \d+/);
    expect(written.environment.redis).toMatch(/Redis \d+/);
    const html = readFileSync(files.html, "utf8");
    expect(html).not.toMatch(/\s(src|href)=["']https?:/);
    expect(html).toContain("<svg");
    for (const chart of files.charts) expect(existsSync(chart)).toBe(true);
  }, 400_000);
});
