import { AppError, ConflictError } from "@statelab/http";
import { beforeAll, describe, expect, it } from "vitest";
import { testUserStore, uniqueName } from "../../../tests/support/index.js";
import { createPasswordHasher, TEST_ONLY_PARAMS } from "./passwords.js";
import { createPgUserStore, type UserStore } from "./user-store.js";

let users: UserStore;
let pool: Awaited<ReturnType<typeof testUserStore>>["pool"];

beforeAll(async () => {
  ({ users, pool } = await testUserStore());
});

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (error: unknown) => (error instanceof AppError ? error.code : String(error)),
  );

describe("UserStore.create", () => {
  it("creates a user at version 1 with the username as display name", async () => {
    const username = uniqueName("Alice");
    const user = await users.create({ username, password: "password-1" });
    expect(user).toMatchObject({ username, displayName: username, version: 1 });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("stores only an argon2id hash, never the password", async () => {
    const username = uniqueName();
    await users.create({ username, password: "plain-text-pw" });
    const { rows } = await pool.query("SELECT password_hash FROM users WHERE username = $1", [username]);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(rows[0].password_hash).not.toContain("plain-text-pw");
  });

  it("same name in another case or width → 409 username_taken (A6)", async () => {
    const base = uniqueName("bob");
    await users.create({ username: base, password: "password-1" });
    const fullWidth = [...base.toUpperCase()]
      .map((c) => (/[A-Z]/.test(c) ? String.fromCodePoint((c.codePointAt(0) ?? 0) + 0xfee0) : c))
      .join("");
    await expect(codeOf(users.create({ username: base.toUpperCase(), password: "password-2" }))).resolves.toBe(
      "username_taken",
    );
    await expect(codeOf(users.create({ username: fullWidth, password: "password-2" }))).resolves.toBe("username_taken");
  });

  it("10 concurrent signups of one username → exactly one wins, the rest 409", async () => {
    const username = uniqueName("race");
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => users.create({ username, password: "password-1" })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(rejected).toHaveLength(9);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(ConflictError);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM users WHERE username = $1", [username]);
    expect(rows[0].n).toBe(1);
  });
});

describe("UserStore.verifyCredentials", () => {
  it("returns the user for the right password, by any case of the name", async () => {
    const username = uniqueName("Carol");
    const created = await users.create({ username, password: "s3cret-pass" });
    await expect(users.verifyCredentials(username.toLowerCase(), "s3cret-pass")).resolves.toMatchObject({
      id: created.id,
    });
  });

  it("wrong password and unknown user both give null (A3)", async () => {
    const username = uniqueName();
    await users.create({ username, password: "s3cret-pass" });
    await expect(users.verifyCredentials(username, "wrong-pass")).resolves.toBeNull();
    await expect(users.verifyCredentials(uniqueName("ghost"), "s3cret-pass")).resolves.toBeNull();
  });

  it("upgrades a hash weaker than the current parameters on login (A1)", async () => {
    const weakStore = createPgUserStore({
      pool,
      hasher: await createPasswordHasher({ ...TEST_ONLY_PARAMS, memoryCostKiB: 512 }),
    });
    const username = uniqueName();
    await weakStore.create({ username, password: "upgrade-me" });
    const hashOf = async () =>
      (await pool.query("SELECT password_hash FROM users WHERE username = $1", [username])).rows[0]
        .password_hash as string;
    expect(await hashOf()).toContain("m=512,");
    await users.verifyCredentials(username, "upgrade-me");
    expect(await hashOf()).toContain(`m=${TEST_ONLY_PARAMS.memoryCostKiB},`);
    await expect(users.verifyCredentials(username, "upgrade-me")).resolves.not.toBeNull();
  });

  it("the rehash on login is an update: version + 1 and updated_at moves (A1, optimistic concurrency)", async () => {
    const weakStore = createPgUserStore({
      pool,
      hasher: await createPasswordHasher({ ...TEST_ONLY_PARAMS, memoryCostKiB: 512 }),
    });
    const created = await weakStore.create({ username: uniqueName(), password: "upgrade-me" });
    expect(created.version).toBe(1);
    // Age the row, so "updated_at moved" does not depend on two now()s differing.
    await pool.query("UPDATE users SET updated_at = now() - interval '1 hour' WHERE id = $1", [created.id]);
    const before = await users.findById(created.id);

    const loggedIn = await users.verifyCredentials(created.username, "upgrade-me");

    const after = await users.findById(created.id);
    expect(after?.version).toBe(2);
    expect(after?.updatedAt.getTime()).toBeGreaterThan(before?.updatedAt.getTime() ?? Number.POSITIVE_INFINITY);
    // The login answers with the row as it now is, so a PATCH with its version succeeds.
    expect(loggedIn).toMatchObject({ id: created.id, version: 2 });
    await expect(users.update(created.id, { displayName: "after-rehash" }, 2)).resolves.toMatchObject({ version: 3 });
    // A second login finds nothing to upgrade and changes nothing.
    await expect(users.verifyCredentials(created.username, "upgrade-me")).resolves.toMatchObject({ version: 3 });
  });

  it("unknown user costs an argon2 verify like a wrong password (A4): one verify each, and paired timings alike", async () => {
    const real = await createPasswordHasher(); // real OWASP cost: the timing gap must hide behind it
    // The real hasher, counting the argon2 work each call does: the defence itself, without a clock.
    let argon2Calls = 0;
    const hasher: typeof real = {
      params: real.params,
      hash: (password) => real.hash(password),
      verify: (stored, password) => {
        argon2Calls++;
        return real.verify(stored, password);
      },
      verifyDummy: (password) => {
        argon2Calls++;
        return real.verifyDummy(password);
      },
    };
    const store = createPgUserStore({ pool, hasher });
    const username = uniqueName();
    await store.create({ username, password: "timing-pass" });
    const time = async (name: string) => {
      const calls = argon2Calls;
      const start = process.hrtime.bigint();
      await store.verifyCredentials(name, "wrong-password");
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      expect(argon2Calls - calls, `argon2 verifies for ${name}`).toBe(1);
      return ms;
    };
    // Paired, back to back: machine load that drifts over the loop moves both halves of a pair alike.
    const known: number[] = [];
    const gaps: number[] = [];
    for (let i = 0; i < 15; i++) {
      const k = await time(username);
      const u = await time(uniqueName("ghost"));
      known.push(k);
      gaps.push(Math.abs(k - u));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    // Without the dummy verify, unknown users answer in ~1 ms against ~10+ ms: a gap near 100%.
    expect(median(gaps)).toBeLessThan(0.5 * median(known));
  });
});

describe("UserStore.update (optimistic concurrency)", () => {
  it("bumps version on every update", async () => {
    const user = await users.create({ username: uniqueName(), password: "password-1" });
    const v2 = await users.update(user.id, { displayName: "Ada" }, 1);
    expect(v2).toMatchObject({ displayName: "Ada", version: 2 });
    const v3 = await users.update(user.id, { displayName: "Ada L." }, 2);
    expect(v3.version).toBe(3);
    expect(v3.updatedAt.getTime()).toBeGreaterThanOrEqual(v2.updatedAt.getTime());
  });

  it("a stale expected version → 409 version_conflict, and the row is unchanged", async () => {
    const user = await users.create({ username: uniqueName(), password: "password-1" });
    await users.update(user.id, { displayName: "first" }, 1);
    const error = await users.update(user.id, { displayName: "lost update" }, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).details).toEqual({ expectedVersion: 1, currentVersion: 2 });
    expect(await users.findById(user.id)).toMatchObject({ displayName: "first", version: 2 });
  });

  it("two concurrent writers at the same version → one wins, one 409", async () => {
    const user = await users.create({ username: uniqueName(), password: "password-1" });
    const results = await Promise.allSettled([
      users.update(user.id, { displayName: "a" }, 1),
      users.update(user.id, { displayName: "b" }, 1),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((await users.findById(user.id))?.version).toBe(2);
  });

  it("an unknown or malformed id → 404 / null", async () => {
    await expect(codeOf(users.update("00000000-0000-4000-8000-000000000000", { displayName: "x" }, 1))).resolves.toBe(
      "not_found",
    );
    await expect(users.findById("not-a-uuid")).resolves.toBeNull();
  });
});
