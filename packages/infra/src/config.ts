import path from "node:path";
import { fileURLToPath } from "node:url";
import { InfraError } from "./errors.js";

/** The repository root: three folders above this file (packages/infra/src). */
export const projectRoot = fileURLToPath(new URL("../../..", import.meta.url));

export interface InfraConfig {
  stateDir: string;
  pgPort: number;
  redisPort: number;
  database: string;
  /** Use this server and start no Postgres. */
  databaseUrl: string | undefined;
  /** Use this server and start no Redis. */
  redisUrl: string | undefined;
}

export const infraDefaults = { pgPort: 54329, redisPort: 63799, database: "statelab" } as const;

function port(env: NodeJS.ProcessEnv, name: string, fallback: number, errors: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    errors.push(`${name} must be a port number 1-65535 (got "${raw}")`);
  return value;
}

function url(env: NodeJS.ProcessEnv, name: string, protocols: string[], errors: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  try {
    if (protocols.includes(new URL(raw).protocol)) return raw;
  } catch {
    // reported below
  }
  errors.push(`${name} must be a ${protocols.join(" or ")}// URL`);
  return undefined;
}

/** Reads the infra's env vars once; throws one error naming every bad variable. */
export function loadInfraConfig(env: NodeJS.ProcessEnv = process.env): Readonly<InfraConfig> {
  const errors: string[] = [];
  const config: InfraConfig = {
    stateDir: path.resolve(env.STATELAB_HOME || path.join(projectRoot, ".statelab")),
    pgPort: port(env, "PG_PORT", infraDefaults.pgPort, errors),
    redisPort: port(env, "REDIS_PORT", infraDefaults.redisPort, errors),
    database: env.PG_DATABASE || infraDefaults.database,
    databaseUrl: url(env, "DATABASE_URL", ["postgres:", "postgresql:"], errors),
    redisUrl: url(env, "REDIS_URL", ["redis:", "rediss:"], errors),
  };
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(config.database))
    errors.push("PG_DATABASE must be a plain lower-case identifier");
  if (errors.length > 0) throw new InfraError(`invalid configuration: ${errors.join("; ")}`);
  return Object.freeze(config);
}
