import type pg from "pg";
import { StaleFenceError } from "./errors.js";

export interface FencedWrite<T> {
  value: T;
  /** The token was lower than the highest seen (only possible with the check off: the write went through anyway). */
  isStale: boolean;
  /** The highest token seen for the resource before this write. */
  highest: number;
}

export interface Fence {
  /** Whether a stale token is refused (true) or only counted (false: the unsafe lock the lab shows). */
  readonly isChecking: boolean;
  /**
   * Runs `work` in one transaction that first locks the resource's fence row: with a
   * token below the highest seen, it rolls back and throws StaleFenceError (check on)
   * or goes ahead and says so (check off). The row lock orders concurrent writers.
   */
  write<T>(resource: string, token: number, work: (client: pg.PoolClient) => Promise<T>): Promise<FencedWrite<T>>;
  /** The highest token seen for the resource (0 when none wrote yet). */
  highest(resource: string): Promise<number>;
}

/** Fencing where the data lives: Postgres remembers the highest token per resource. */
export function createFence(options: { pool: pg.Pool; isChecking?: boolean }): Fence {
  const { pool } = options;
  const isChecking = options.isChecking ?? true;
  return {
    isChecking,
    async write(resource, token, work) {
      const client = await pool.connect();
      let isBroken = false;
      try {
        await client.query("BEGIN");
        await client.query("INSERT INTO lease_fences (resource, token) VALUES ($1, 0) ON CONFLICT DO NOTHING", [
          resource,
        ]);
        const row = await client.query<{ token: string }>(
          "SELECT token FROM lease_fences WHERE resource = $1 FOR UPDATE",
          [resource],
        );
        const highest = Number(row.rows[0]?.token ?? 0);
        const isStale = token < highest;
        if (isStale && isChecking) throw new StaleFenceError(resource, token, highest);
        if (token > highest) {
          await client.query("UPDATE lease_fences SET token = $2, updated_at = now() WHERE resource = $1", [
            resource,
            token,
          ]);
        }
        const value = await work(client);
        await client.query("COMMIT");
        return { value, isStale, highest };
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {
          isBroken = true;
        });
        throw error;
      } finally {
        // A connection that cannot even roll back is destroyed, not pooled.
        client.release(isBroken);
      }
    },
    async highest(resource) {
      const result = await pool.query<{ token: string }>("SELECT token FROM lease_fences WHERE resource = $1", [
        resource,
      ]);
      return Number(result.rows[0]?.token ?? 0);
    },
  };
}
