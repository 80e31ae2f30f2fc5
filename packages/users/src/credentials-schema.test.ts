import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  credentialsSchema,
  displayNameSchema,
  loginSchema,
  passwordSchema,
  usernameKey,
  usernameSchema,
} from "./credentials-schema.js";

describe("usernameKey (A6)", () => {
  it("folds width and case: Ａlice, ALICE and alice are one key", () => {
    expect(usernameKey("Ａlice")).toBe("alice");
    expect(usernameKey("ALICE")).toBe("alice");
  });

  it("is idempotent for any string (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => usernameKey(usernameKey(s)) === usernameKey(s)),
      { numRuns: 2000 },
    );
  });
});

describe("usernameSchema", () => {
  it.each(["alice", "Zoë", "用户名", "a.b-c_d", "abc"])("accepts %s", (name) => {
    expect(usernameSchema.safeParse(name).success).toBe(true);
  });

  it.each([
    ["too short", "ab"],
    ["too long", "a".repeat(33)],
    ["a space", "al ice"],
    ["a control character", "ali\u0007ce"],
    ["a bidi override", "ali\u202Ece"],
    ["a zero-width joiner", "ali\u200Dce"],
    ["a slash", "ali/ce"],
  ])("rejects %s", (_what, name) => {
    expect(usernameSchema.safeParse(name).success).toBe(false);
  });
});

describe("passwordSchema (A2)", () => {
  it("accepts 8 and 128 characters, Unicode included, unchanged (no trim, no truncation)", () => {
    const unicode = "pässwörd 🔑 ".repeat(6).slice(0, 64);
    for (const password of ["12345678", "x".repeat(128), unicode, "  spaces  "]) {
      expect(passwordSchema.parse(password)).toBe(password);
    }
  });

  it("counts characters, not UTF-16 units: 64 emoji are 64 characters", () => {
    expect(passwordSchema.safeParse("🔑".repeat(64)).success).toBe(true);
  });

  it.each([
    ["7 characters", "1234567"],
    ["129 characters", "x".repeat(129)],
    ["1 MB", "x".repeat(1_000_000)],
  ])("rejects %s", (_what, password) => {
    expect(passwordSchema.safeParse(password).success).toBe(false);
  });
});

describe("credentialsSchema", () => {
  it("rejects unknown keys such as __proto__ (H3)", () => {
    const body = JSON.parse('{"username":"alice","password":"password1","__proto__":{"admin":true}}');
    expect(credentialsSchema.safeParse(body).success).toBe(false);
  });

  it("normalises the username to NFKC", () => {
    expect(credentialsSchema.parse({ username: "Ａlice", password: "password1" }).username).toBe("Alice");
  });
});

describe("loginSchema", () => {
  it("rejects a NUL in the username, which Postgres text cannot hold (400, not a 500 from the lookup)", () => {
    expect(loginSchema.safeParse({ username: "a\u0000b", password: "x" }).success).toBe(false);
    expect(loginSchema.safeParse({ username: "ab", password: "x\u0000y" }).success).toBe(true);
  });
});

describe("displayNameSchema", () => {
  it("trims and rejects control characters", () => {
    expect(displayNameSchema.parse("  Ada  ")).toBe("Ada");
    expect(displayNameSchema.safeParse("Ada\u0000").success).toBe(false);
    expect(displayNameSchema.safeParse("   ").success).toBe(false);
  });
});
