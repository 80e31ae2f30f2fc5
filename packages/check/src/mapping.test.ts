import { describe, expect, it } from "vitest";
import { defaultMapping, parseMapping } from "./mapping.js";
import { runChecks, selectChecks } from "./runner.js";
import { startReferenceServer } from "./testing/reference-server.js";

describe("parseMapping", () => {
  it("an empty file is the default mapping (statelab's API)", () => {
    expect(parseMapping({})).toEqual(defaultMapping);
  });

  it("overrides only what it names; null leaves a route out", () => {
    const mapping = parseMapping({
      routes: { login: "/api/session", chatPartners: null },
      fields: { username: "email" },
    });
    expect(mapping.routes).toMatchObject({ login: "/api/session", chatPartners: null, signup: "/auth/signup" });
    expect(mapping.fields).toMatchObject({ username: "email", password: "password" });
  });

  it("names every bad entry in one error", () => {
    expect(() =>
      parseMapping({ routes: { login: "api/session", nope: "/x" }, fields: { username: "" }, extra: 1 }),
    ).toThrow(
      /extra is not a known key.*routes\.login must be a path.*routes\.nope is not a known name.*fields\.username must be/,
    );
    expect(() => parseMapping({ routes: { login: null } })).toThrow(/routes\.login cannot be null/);
    expect(() => parseMapping([])).toThrow(/must be a JSON object/);
  });
});

describe("a server whose login is POST /api/session {login, password}", () => {
  const rename = { login: "/api/session", usernameField: "login" };
  const failedIds = async (mapping?: ReturnType<typeof parseMapping>) => {
    const server = await startReferenceServer("bearer", { rename });
    try {
      const checks = selectChecks("bearer", [
        "contract.login",
        "contract.signup",
        "tokens.alg-none",
        "login.same-answer",
      ]);
      const results = await runChecks({ baseUrl: server.url, kind: "bearer", ...(mapping ? { mapping } : {}) }, checks);
      return results.filter((r) => r.status !== "pass").map((r) => `${r.id}: ${r.reason}`);
    } finally {
      await server.close();
    }
  };

  it("fails every check that logs in under the default mapping (POST /auth/login → 404)", async () => {
    const failed = await failedIds();
    expect(failed.map((line) => line.split(":")[0])).toEqual([
      "contract.login",
      "tokens.alg-none",
      "login.same-answer",
    ]);
    for (const line of failed) expect(line).toMatch(/404/);
  });

  it("passes them with a mapping file naming its route and field", async () => {
    expect(await failedIds(parseMapping({ routes: { login: "/api/session" }, fields: { username: "login" } }))).toEqual(
      [],
    );
  });
});
