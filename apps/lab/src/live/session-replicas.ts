import { rmSync } from "node:fs";
import path from "node:path";
import { type ReplicaServer, startReplicaServers } from "@statelab/quorum";
import { labHome } from "../stack/lab.js";
import { quorumPanel } from "./dashboard/quorum-panel.js";
import type { PanelSource } from "./dashboard/server.js";

/** The replicas `statelab up --session-store quorum` starts when QUORUM_REDIS_URLS names none. */
export const defaultReplicaCount = 3;

export interface SessionReplicas {
  /** Env for the stateful instances (QUORUM_REDIS_URLS when the lab started the replicas). */
  env: Record<string, string>;
  panel: PanelSource;
  describe: string;
  close(): Promise<void>;
  /** SIGKILLs the servers the lab started (a second Ctrl-C): nothing would ever reuse them. */
  killNow(): void;
}

/**
 * SESSION_STORE=quorum in the live lab: three real redis-servers of the lab's own
 * (or the ones QUORUM_REDIS_URLS names), and the dashboard panel that shows their
 * versions. Null for the other stores.
 */
export async function startSessionReplicas(
  statefulEnv: Record<string, string>,
  redisPrefix: string,
  log: (line: string) => void,
): Promise<SessionReplicas | null> {
  if (statefulEnv.SESSION_STORE !== "quorum") return null;
  const given = statefulEnv.QUORUM_REDIS_URLS?.split(",").map((url) => url.trim());
  const baseDir = path.join(labHome, "quorum-up", String(process.pid));
  const servers: ReplicaServer[] = given ? [] : await startReplicaServers(defaultReplicaCount, { baseDir, log });
  const replicas = given
    ? given.map((url, i) => ({ name: `replica-${i + 1}`, url }))
    : servers.map((server) => ({ name: server.name, url: server.url }));
  const panel = quorumPanel(replicas, `${redisPrefix}sess:`);
  return {
    env: given ? {} : { QUORUM_REDIS_URLS: replicas.map((replica) => replica.url).join(",") },
    panel: panel.source,
    describe: replicas.map((replica) => `${replica.name} ${replica.url}`).join(", "),
    async close() {
      panel.close();
      await Promise.all(servers.map((server) => server.stop()));
      if (servers.length > 0) rmSync(baseDir, { recursive: true, force: true });
    },
    killNow() {
      for (const server of servers) {
        const pid = server.pid();
        if (pid) process.kill(pid, "SIGKILL");
      }
    },
  };
}
