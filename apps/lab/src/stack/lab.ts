import path from "node:path";
import { type Infra, type InfraConfig, loadInfraConfig, projectRoot, startInfra } from "@statelab/infra";
import { Supervisor } from "./children.js";
import type { SharedState } from "./stack.js";

/** The lab's own files: logs, rendered configs, signing keys (git-ignored under .statelab). */
export const labHome = path.join(projectRoot, ".statelab", "lab");

export interface Lab {
  infra: Infra;
  /** Where its own Postgres and Redis live (state dir, ports): what restarts them after a fault. */
  infraConfig: Readonly<InfraConfig>;
  supervisor: Supervisor;
  shared: SharedState;
  /** Stops every child, then the servers this lab started (never ones it reused or was given). */
  close(): Promise<void>;
}

/**
 * Brings up Postgres and Redis (or takes DATABASE_URL / REDIS_URL), and a
 * supervisor for the processes the lab will start.
 */
export async function openLab(options: {
  log: (line: string) => void;
  redisPrefix?: string;
  /** Where this lab's own Postgres and Redis live, unless DATABASE_URL / REDIS_URL say otherwise. */
  infraEnv?: Record<string, string>;
}): Promise<Lab> {
  const infraConfig = loadInfraConfig({ ...options.infraEnv, ...process.env });
  const infra = await startInfra(infraConfig, { log: options.log });
  const supervisor = new Supervisor();
  return {
    infra,
    infraConfig,
    supervisor,
    shared: {
      databaseUrl: infra.databaseUrl,
      redisUrl: infra.redisUrl,
      redisPrefix: options.redisPrefix ?? "statelab:",
      keyDir: path.join(projectRoot, ".statelab", "keys"),
      logDir: path.join(labHome, "logs"),
    },
    async close() {
      await supervisor.stopAll();
      await infra.stop();
    },
  };
}
