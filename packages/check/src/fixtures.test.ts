import { describe, expect, it } from "vitest";
import { runChecks, selectChecks } from "./runner.js";
import { DEFENCES, type Defence } from "./testing/defences.js";
import { startReferenceServer } from "./testing/reference-server.js";
import type { CheckResult, Kind } from "./types.js";

/** Every check of `kind` against the reference server, minus `without`. */
async function check(kind: Kind, without?: Defence): Promise<CheckResult[]> {
  const server = await startReferenceServer(kind, { without });
  try {
    return await runChecks({ baseUrl: server.url, kind, signingKeys: server.signingKeys }, selectChecks(kind));
  } finally {
    await server.close();
  }
}

const ids = (results: CheckResult[], status: CheckResult["status"]) =>
  results.filter((r) => r.status === status).map((r) => r.id);
const reasons = (results: CheckResult[]) =>
  results
    .filter((r) => r.status !== "pass")
    .map((r) => `${r.id}: ${r.reason}`)
    .join("\n");

const fixtures = Object.entries(DEFENCES).flatMap(([defence, { kind, caughtBy }]) =>
  (kind === "both" ? (["cookie", "bearer"] as const) : [kind]).map((k) => ({
    defence: defence as Defence,
    kind: k,
    expected: caughtBy.filter((id) => selectChecks(k).some((c) => c.id === id)),
  })),
);

describe("the checker against the reference server", () => {
  it.each(["cookie", "bearer"] as const)(
    "%s: every check passes, none is skipped",
    async (kind) => {
      const results = await check(kind);
      expect(reasons(results)).toBe("");
      expect(results.length).toBe(selectChecks(kind).length);
    },
    120_000,
  );
});

describe("the checker against fixtures that each lack one defence", () => {
  it.each(fixtures)(
    "$kind without $defence → fails exactly $expected",
    async ({ kind, defence, expected }) => {
      expect(expected.length).toBeGreaterThan(0);
      const results = await check(kind, defence);
      expect(ids(results, "fail").sort(), reasons(results)).toEqual([...expected].sort());
      expect(ids(results, "skip")).toEqual([]);
    },
    120_000,
  );
});
