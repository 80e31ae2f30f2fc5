import type pg from "pg";
import { ServiceUnavailableError } from "./errors.js";

/**
 * One statement on the pool; "Postgres is not there" becomes 503 db_unavailable
 * right here, at the edge, so no route answers 500 for it. Query errors pass through.
 */
export async function queryOr503<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values: unknown[],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values);
  } catch (error) {
    if (isConnectionError(error)) throw new ServiceUnavailableError("db_unavailable", error);
    throw error;
  }
}

/** Postgres error codes and socket errors that mean "the database is not there", not "your query is wrong". */
export function isConnectionError(error: unknown): boolean {
  if (!error || typeof error !== "object") return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string") {
    // Class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now).
    if (code.startsWith("08") || /^57P0[1-3]$/.test(code)) return true;
    if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH"].includes(code)) return true;
  }
  return (
    typeof message === "string" &&
    /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection timeout/i.test(message)
  );
}
