import request from "supertest";
import { describe, expect, it } from "vitest";
import { createClient } from "./client.js";
import { defaultMapping } from "./mapping.js";
import { runChecks, selectChecks } from "./runner.js";
import { startReferenceServer } from "./testing/reference-server.js";

describe("selectChecks", () => {
  it("keeps a kind's checks in report order; --only and --skip narrow them; an unknown id is an error", () => {
    const cookie = selectChecks("cookie").map((c) => c.id);
    expect(cookie).toContain("sessions.csrf-token");
    expect(cookie.some((id) => id.startsWith("tokens."))).toBe(false);
    expect(cookie.indexOf("contract.login")).toBeLessThan(cookie.indexOf("sessions.regenerate"));
    expect(selectChecks("bearer", ["tokens.jku", "contract.me"]).map((c) => c.id)).toEqual([
      "contract.me",
      "tokens.jku",
    ]);
    expect(selectChecks("bearer", [], ["tokens.jku"]).map((c) => c.id)).not.toContain("tokens.jku");
    expect(() => selectChecks("bearer", ["tokens.nope"], ["also.nope"])).toThrow(
      "unknown check id: tokens.nope, also.nope",
    );
  });
});

describe("runChecks with --user (no signups)", () => {
  it("signs nobody up, skips the checks that need users of their own, passes the rest, and logs out what it opened", async () => {
    const server = await startReferenceServer("cookie");
    try {
      const user = { username: "existing_user", password: "existing-pass-1" };
      await request(server.url).post("/auth/signup").send(user).expect(201);
      const results = await runChecks({ baseUrl: server.url, kind: "cookie", user }, selectChecks("cookie"));
      expect(results.filter((r) => r.status === "fail").map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
      const skipped = results.filter((r) => r.status === "skip");
      expect(skipped.map((r) => r.id)).toEqual(
        expect.arrayContaining(["contract.signup", "contract.logout-all", "login.same-timing", "login.password-whole"]),
      );
      for (const r of skipped) expect(r.reason).toMatch(/--user/);
      // No session the checks opened is still live: only the one opened here to look.
      const look = await createClient("cookie", server.url, defaultMapping).login(user);
      const sessions = (await look.get("/auth/sessions").expect(200)).body.sessions;
      expect(sessions).toHaveLength(1);
    } finally {
      await server.close();
    }
  }, 120_000);
});
