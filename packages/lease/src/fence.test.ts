import type pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { testPool, uniqueName } from "../../../tests/support/index.js";
import { StaleFenceError } from "./errors.js";
import { createFence } from "./fence.js";

let pool: pg.Pool;
beforeAll(async () => {
  pool = await testPool();
  await pool.query("CREATE TABLE IF NOT EXISTS fence_test_writes (resource text, token bigint, n int)");
});

const record = (resource: string, token: number) => (client: pg.PoolClient) =>
  client.query("INSERT INTO fence_test_writes VALUES ($1, $2, 1)", [resource, token]).then(() => token);
const writes = async (resource: string) =>
  (
    await pool.query<{ token: string }>("SELECT token FROM fence_test_writes WHERE resource = $1 ORDER BY token", [
      resource,
    ])
  ).rows.map((row) => Number(row.token));

describe("fence with the check on", () => {
  it("a lower token than the highest seen → StaleFenceError and nothing written; equal and higher go through", async () => {
    const fence = createFence({ pool });
    const resource = uniqueName("res");
    expect(await fence.highest(resource)).toBe(0);
    expect(await fence.write(resource, 5, record(resource, 5))).toEqual({ value: 5, isStale: false, highest: 0 });
    expect(await fence.write(resource, 5, record(resource, 5))).toMatchObject({ isStale: false, highest: 5 });
    const stale = fence.write(resource, 4, record(resource, 4));
    await expect(stale).rejects.toBeInstanceOf(StaleFenceError);
    await expect(stale).rejects.toMatchObject({ code: "stale_fence", token: 4, highest: 5, resource });
    await fence.write(resource, 7, record(resource, 7));
    expect(await fence.highest(resource)).toBe(7);
    expect(await writes(resource)).toEqual([5, 5, 7]);
  });

  it("a failing write rolls back its fence bump too", async () => {
    const fence = createFence({ pool });
    const resource = uniqueName("res");
    await expect(
      fence.write(resource, 3, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await fence.highest(resource)).toBe(0);
  });

  it("writers racing with tokens 1..20 in random order: every accepted write is in token order", async () => {
    const fence = createFence({ pool });
    const resource = uniqueName("res");
    const tokens = Array.from({ length: 20 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    const accepted: number[] = [];
    await Promise.all(
      tokens.map((token) =>
        fence
          .write(resource, token, async (client) => {
            await record(resource, token)(client);
            accepted.push(token);
          })
          .catch((error: unknown) => {
            if (!(error instanceof StaleFenceError)) throw error;
          }),
      ),
    );
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted).toEqual([...accepted].sort((x, y) => x - y));
    expect(await fence.highest(resource)).toBe(20);
  });
});

describe("fence with the check off (the unsafe lock the lab shows)", () => {
  it("a stale token's write goes through, reported as stale, and the highest stays", async () => {
    const fence = createFence({ pool, isChecking: false });
    const resource = uniqueName("res");
    await fence.write(resource, 5, record(resource, 5));
    expect(await fence.write(resource, 4, record(resource, 4))).toEqual({ value: 4, isStale: true, highest: 5 });
    expect(await fence.highest(resource)).toBe(5);
    expect(await writes(resource)).toEqual([4, 5]);
  });
});
