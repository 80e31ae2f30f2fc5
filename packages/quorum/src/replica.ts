import { createHash } from "node:crypto";
import type { Version } from "./version.js";

/** The one thing the quorum client needs from a Redis connection (node-redis's sendCommand fits). */
export interface ReplicaConnection {
  sendCommand(args: readonly string[]): Promise<unknown>;
}

/** One replica: a name for errors and reports, and its connection. */
export interface Replica {
  name: string;
  connection: ReplicaConnection;
}

/** What one replica holds for a key: a value or a tombstone (value null), with its version. */
export interface Stored {
  version: Version;
  value: string | null;
  /** Absolute expiry in ms since the epoch, the same on every replica; 0 = none. */
  expireAtMs: number;
}

/**
 * Keeps the write only if its version is newer than the one stored: one script, so the
 * compare and the write are atomic on the replica. An equal or newer version already
 * there is not an error: the replica holds this write or a later one (the write is
 * acknowledged either way). The expiry is absolute (PEXPIREAT), so every replica drops
 * the key at the same moment and an expired value cannot come back through read repair.
 */
const SET_IF_NEWER = `
local cur = redis.call('HMGET', KEYS[1], 'c', 'w')
local c = tonumber(ARGV[1])
if cur[1] then
  local cc = tonumber(cur[1])
  if cc > c or (cc == c and cur[2] >= ARGV[2]) then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'c', ARGV[1], 'w', ARGV[2], 'd', ARGV[3], 'v', ARGV[4], 'x', ARGV[5])
local x = tonumber(ARGV[5])
if x > 0 then redis.call('PEXPIREAT', KEYS[1], x) end
return 1`;

const SCRIPT_SHA = createHash("sha1").update(SET_IF_NEWER).digest("hex");

/** Reads the stored version and value: one HMGET. */
export async function readReplica(replica: Replica, key: string): Promise<Stored | null> {
  const reply = (await replica.connection.sendCommand(["HMGET", key, "c", "w", "d", "v", "x"])) as Array<string | null>;
  const [counter, writer, deleted, value, expireAt] = reply;
  if (counter === null || counter === undefined || writer === null || writer === undefined) return null;
  return {
    version: { counter: Number(counter), writer },
    value: deleted === "1" ? null : (value ?? ""),
    expireAtMs: Number(expireAt ?? 0),
  };
}

/** Applies a write if it is newer; true when the replica changed, false when it already had it or newer. */
export async function applyToReplica(replica: Replica, key: string, stored: Stored): Promise<boolean> {
  const args = [
    "1",
    key,
    String(stored.version.counter),
    stored.version.writer,
    stored.value === null ? "1" : "0",
    stored.value ?? "",
    String(stored.expireAtMs),
  ];
  try {
    return (await replica.connection.sendCommand(["EVALSHA", SCRIPT_SHA, ...args])) === 1;
  } catch (error) {
    // First use on this server (or after a restart): load the script by sending it whole.
    if (!String((error as Error)?.message).startsWith("NOSCRIPT")) throw error;
    return (await replica.connection.sendCommand(["EVAL", SET_IF_NEWER, ...args])) === 1;
  }
}
