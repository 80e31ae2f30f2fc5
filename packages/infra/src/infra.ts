import type { InfraConfig } from "./config.js";
import { postgresUrl, readPassword, redisUrl } from "./credentials.js";
import { postgresStatus, startPostgres, stopPostgres } from "./postgres.js";
import { redisStatus, startRedis, stopRedis } from "./redis.js";
import type { Service } from "./service.js";
import type { Log } from "./system.js";

export interface Infra {
  databaseUrl: string;
  redisUrl: string;
  services: Service[];
  /** Stops the servers this call started; servers it reused or was given stay up. */
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: Log;
  /** fsync off: for throwaway test clusters. */
  fast?: boolean;
  /**
   * Abort it (Ctrl-C) and a start under way stops every server it launched, the one
   * still starting included, before it rejects; servers it reused stay up.
   */
  signal?: AbortSignal;
}

const external = (name: Service["name"], url: string): Service => ({
  name,
  url,
  pid: null,
  startedHere: false,
  stop: async () => {},
});

/** Brings up Postgres and Redis (or takes DATABASE_URL / REDIS_URL as given). */
export async function startInfra(config: InfraConfig, options: StartOptions = {}): Promise<Infra> {
  const log = options.log ?? (() => {});
  const { signal } = options;
  const started: Service[] = [];
  const track = (service: Service) => {
    started.push(service);
    return service;
  };
  try {
    const postgres = config.databaseUrl
      ? external("postgres", config.databaseUrl)
      : track(
          await startPostgres({
            stateDir: config.stateDir,
            port: config.pgPort,
            database: config.database,
            fast: options.fast ?? false,
            log,
            signal,
          }),
        );
    const redis = config.redisUrl
      ? external("redis", config.redisUrl)
      : track(await startRedis({ stateDir: config.stateDir, port: config.redisPort, log, signal }));
    return {
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      services: [postgres, redis],
      stop: () => stopStarted(started),
    };
  } catch (error) {
    await stopStarted(started);
    throw error;
  }
}

async function stopStarted(services: Service[]): Promise<void> {
  for (const service of services.filter((s) => s.startedHere).reverse()) await service.stop();
}

/** Stops whatever statelab started from this state dir (never an external server). */
export async function stopInfra(config: InfraConfig, log: Log = () => {}): Promise<number> {
  let stopped = 0;
  if (await stopRedis({ stateDir: config.stateDir, log })) stopped++;
  if (await stopPostgres({ stateDir: config.stateDir, port: config.pgPort, log })) stopped++;
  return stopped;
}

export interface ServiceStatus {
  name: Service["name"];
  state: "running" | "stopped" | "external";
  pid: number | null;
  url: string | null;
}

export async function infraStatus(config: InfraConfig): Promise<ServiceStatus[]> {
  const pg = config.databaseUrl
    ? null
    : await postgresStatus({ stateDir: config.stateDir, port: config.pgPort, log: () => {} });
  const redis = config.redisUrl ? null : redisStatus(config.stateDir);
  return [
    config.databaseUrl
      ? { name: "postgres", state: "external", pid: null, url: config.databaseUrl }
      : {
          name: "postgres",
          state: pg ? "running" : "stopped",
          pid: pg?.pid ?? null,
          url: pg ? postgresUrl(pg.port, config.database, readPassword(config.stateDir, "postgres") ?? "") : null,
        },
    config.redisUrl
      ? { name: "redis", state: "external", pid: null, url: config.redisUrl }
      : {
          name: "redis",
          state: redis ? "running" : "stopped",
          pid: redis?.pid ?? null,
          url: redis ? redisUrl(redis.port, readPassword(config.stateDir, "redis") ?? "") : null,
        },
  ];
}
