import { randomBytes } from "node:crypto";
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { InfraError } from "./errors.js";

/** The ACL user statelab's Redis servers have; the default (anonymous) user is switched off. */
export const REDIS_USER = "statelab";

export type Secured = "redis" | "postgres";

/** Where the generated password of a server statelab starts lives: `<stateDir>/credentials/<name>.password`, 0600. */
export function passwordFile(stateDir: string, name: Secured): string {
  return path.join(stateDir, "credentials", `${name}.password`);
}

/**
 * The password of statelab's own Redis or Postgres under `stateDir`, generated on first
 * use: 32 random bytes as hex (URL-safe, so it goes into redis:// and postgres:// URLs as
 * is), in a file only its owner can read. Whoever else can read the state dir's files
 * could read the data dir too; everyone else on the machine gets NOAUTH / a refused login.
 */
export function ensurePassword(stateDir: string, name: Secured): string {
  const file = passwordFile(stateDir, name);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(path.dirname(file), 0o700);
  // Written aside, then linked into place: of two starts racing, one link wins and no
  // reader ever sees a half-written file.
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temp, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  chmodSync(file, 0o600);
  const password = readFileSync(file, "utf8").trim();
  if (!/^[0-9a-f]{64}$/.test(password))
    throw new InfraError(`${file} does not hold a statelab password (64 hex digits); delete it to make a new one`);
  return password;
}

/** The password if statelab generated one under `stateDir`, else null (never creates it). */
export function readPassword(stateDir: string, name: Secured): string | null {
  try {
    return readFileSync(passwordFile(stateDir, name), "utf8").trim();
  } catch {
    return null;
  }
}

export const redisUrl = (port: number, password: string) => `redis://${REDIS_USER}:${password}@127.0.0.1:${port}`;

export const postgresUrl = (port: number, database: string, password: string) =>
  `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;

/** The URL with its password replaced, for banners and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === "") return url;
    parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}
