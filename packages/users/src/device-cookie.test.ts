import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createDeviceCookies } from "./device-cookie.js";

const secret = "a-device-secret-of-at-least-32-characters";

describe("device cookies (OWASP: slow down online guessing with device cookies)", () => {
  const devices = createDeviceCookies({ secret });

  it("a cookie issued for an account verifies for that account, under any case of its name", () => {
    const cookie = devices.issue("Alice");
    const id = devices.verify(cookie, "alice");
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(devices.verify(cookie, "ＡＬＩＣＥ")).toBe(id);
  });

  it("every login gets a new device id, and the cookie never names the account", () => {
    const a = devices.issue("alice");
    const b = devices.issue("alice");
    expect(devices.verify(a, "alice")).not.toBe(devices.verify(b, "alice"));
    expect(a).not.toContain("alice");
  });

  it("refuses another account's cookie, a changed one, another secret's, junk and none", () => {
    const cookie = devices.issue("alice");
    expect(devices.verify(cookie, "mallory")).toBeNull();
    const [v, tag, id, iat, mac] = cookie.split(".") as [string, string, string, string, string];
    // A different first character (the last one of 16 base64url bytes has only 4 values, and may already be the one chosen).
    const changedId = `${id.startsWith("A") ? "B" : "A"}${id.slice(1)}`;
    expect(devices.verify([v, tag, changedId, iat, mac].join("."), "alice")).toBeNull();
    expect(devices.verify([v, tag, id, String(Number(iat) + 1), mac].join("."), "alice")).toBeNull();
    expect(createDeviceCookies({ secret: `${secret}-other` }).verify(cookie, "alice")).toBeNull();
    for (const junk of ["", "d1", "d1.a.b.c.d", `${cookie}.x`, "x".repeat(300)])
      expect(devices.verify(junk, "alice")).toBeNull();
    expect(devices.verify(undefined, "alice")).toBeNull();
  });

  it("a cookie older than 180 days is a new device again", () => {
    const cookie = devices.issue("alice");
    const parts = cookie.split(".");
    const old = Math.floor(Date.now() / 1000) - 181 * 86_400;
    // Re-signed with the right secret: only its age is wrong.
    const body = [parts[0], parts[1], parts[2], String(old)].join(".");
    const forged = `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
    expect(devices.verify(forged, "alice")).toBeNull();
  });

  it("refuses a short secret when built", () => {
    expect(() => createDeviceCookies({ secret: "short" })).toThrow(TypeError);
  });
});
