import pg from "pg";
import { createClient, type RedisClientType } from "redis";

export interface ClientLogger {
  warn(obj: object, msg: string): void;
}

export interface PgPoolOptions {
  max?: number;
  /** Waiting for a connection longer than this fails the request instead of hanging (pg's default: forever). */
  connectionTimeoutMs?: number;
  /** Server-side cap per statement. */
  statementTimeoutMs?: number;
  /** Client-side cap per query: also covers a server that stopped answering. */
  queryTimeoutMs?: number;
}

/**
 * A pg Pool that fails fast and survives a Postgres restart. Without the
 * `error` listener an idle client's socket error is re-emitted on the pool
 * and kills the process; without the timeouts pg waits forever.
 */
export function createPgPool(url: string, logger: ClientLogger, options: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 2000,
    statement_timeout: options.statementTimeoutMs ?? 5000,
    query_timeout: options.queryTimeoutMs ?? 6000,
    idleTimeoutMillis: 30_000,
  });
  pool.on("error", (error) => logger.warn({ err: error }, "postgres: idle client error (the pool replaces it)"));
  return pool;
}

export type RedisClient = RedisClientType;

export interface RedisClientOptions {
  /** Each command (and each MULTI's exec) fails after this long instead of waiting on a slow or paused server. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** Thrown when Redis accepted a command but did not answer in time. */
export class RedisTimeoutError extends Error {
  override readonly name = "RedisTimeoutError";
}

const NOT_COMMANDS = new Set(["connect", "close", "destroy", "quit", "disconnect", "duplicate", "scanIterator"]);

/**
 * Deadlines for in-flight commands, swept by one unref'd timer instead of a
 * timer per command: the hot path pays a Set insert and delete, and a deadline
 * fires up to one sweep interval late.
 */
function createDeadlines(ms: number) {
  const sweepMs = Math.max(10, Math.min(100, Math.floor(ms / 5)));
  const pending = new Set<{ due: number; reject: (error: Error) => void }>();
  let timer: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = Date.now();
    for (const entry of pending) {
      if (entry.due <= now) {
        pending.delete(entry);
        entry.reject(new RedisTimeoutError(`redis did not answer within ${ms} ms`));
      }
    }
    if (pending.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  return function deadline<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = { due: Date.now() + ms, reject };
      pending.add(entry);
      if (!timer) timer = setInterval(sweep, sweepMs).unref();
      promise.then(
        (value) => {
          pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          pending.delete(entry);
          reject(error);
        },
      );
    });
  };
}

type Deadline = ReturnType<typeof createDeadlines>;

/** A MULTI builder whose exec() has a deadline; chained calls keep returning the wrapper. */
function multiWithDeadline(builder: object, deadline: Deadline): object {
  const wrapper: object = new Proxy(builder, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      if (typeof key === "string" && key.startsWith("exec")) {
        return (...args: unknown[]) => deadline(value.apply(target, args));
      }
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        return result === target ? wrapper : result;
      };
    },
  });
  return wrapper;
}

/**
 * node-redis 5's own command timeout only covers the wait before a command is
 * written; once it is on the wire, a paused or stalled server makes the caller
 * wait forever (measured here with CLIENT PAUSE). This proxy races every
 * command's promise against a timer, so callers fail fast and answer 503. A
 * late reply still arrives in order and is simply dropped.
 */
function withCommandDeadline(client: RedisClient, ms: number): RedisClient {
  const deadline = createDeadlines(ms);
  return new Proxy(client, {
    get(target, key) {
      // Bound to the target: node-redis uses private fields, which a Proxy receiver cannot reach.
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function" || (typeof key === "string" && NOT_COMMANDS.has(key))) {
        return typeof value === "function" ? value.bind(target) : value;
      }
      if (key === "multi" || key === "MULTI")
        return (...args: unknown[]) => multiWithDeadline(value.apply(target, args), deadline);
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        return result instanceof Promise ? deadline(result) : result;
      };
    },
  });
}

/**
 * A node-redis client that fails fast: while disconnected (node-redis queues
 * commands offline forever by default) and while connected to a server that
 * does not answer (a deadline per command). An unhandled `error` event would
 * kill the process, so it is logged. It reconnects on its own with capped
 * backoff, so the app recovers when Redis returns.
 */
export function createRedisClient(url: string, logger: ClientLogger, options: RedisClientOptions = {}): RedisClient {
  let lastLogged = 0;
  const commandTimeoutMs = options.commandTimeoutMs ?? 1000;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    // No `commandOptions.timeout`: withCommandDeadline below already bounds every command
    // end to end, and node-redis's own would add an AbortSignal, a timer and a listener per
    // command (measured: ~30 µs of CPU per GET against ~8 µs without).
    socket: {
      connectTimeout: options.connectTimeoutMs ?? 1000,
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000),
    },
  }) as RedisClient;
  client.on("error", (error: Error) => {
    // A dead server errors on every reconnect attempt: log at most once a second.
    if (Date.now() - lastLogged < 1000) return;
    lastLogged = Date.now();
    logger.warn({ err: error }, "redis: client error (reconnecting)");
  });
  return withCommandDeadline(client, commandTimeoutMs);
}
