import { type Service, startPostgres, startRedis } from "@statelab/infra";
import type { Lab } from "../../stack/lab.js";
import { ControlError } from "./faults.js";

export type ServerName = Service["name"];
export type ServerState = "up" | "stopped" | "external";

/** Postgres or Redis as the control sees it: stopped and started only when the lab runs it. */
export interface ServerControl {
  readonly name: ServerName;
  state(): ServerState;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * One handle per server of the lab. A server given by DATABASE_URL / REDIS_URL is
 * someone else's: the lab never stops it. A restarted one lives in the same state
 * dir on the same port, so the lab's own shutdown still finds and stops it.
 */
export function serverControls(lab: Pick<Lab, "infra" | "infraConfig">, log: (line: string) => void): ServerControl[] {
  const config = lab.infraConfig;
  return lab.infra.services.map((initial) => {
    let current = initial;
    let isStopped = false;
    const isExternal = initial.pid === null && !initial.startedHere;
    const refuseExternal = () => {
      if (isExternal) {
        throw new ControlError(
          "conflict",
          `${initial.name} is external (${initial.name === "redis" ? "REDIS_URL" : "DATABASE_URL"}): the lab only stops servers it runs`,
        );
      }
    };
    const startService = (): Promise<Service> =>
      initial.name === "redis"
        ? startRedis({ stateDir: config.stateDir, port: config.redisPort, log })
        : startPostgres({
            stateDir: config.stateDir,
            port: config.pgPort,
            database: config.database,
            fast: false,
            log,
          });
    return {
      name: initial.name,
      state: () => (isExternal ? "external" : isStopped ? "stopped" : "up"),
      async stop() {
        refuseExternal();
        await current.stop();
        isStopped = true;
      },
      async start() {
        refuseExternal();
        current = await startService();
        isStopped = false;
      },
    };
  });
}
