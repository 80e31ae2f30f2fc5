import path from "node:path";
import { freePort, type Service, startRedis } from "@statelab/infra";
import { createClient } from "redis";
import type { Replica } from "./replica.js";

/** One replica's redis-server, which a test or scenario may stop, start again or pause (pid). */
export interface ReplicaServer {
  name: string;
  port: number;
  url: string;
  pid(): number | null;
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (persistence is off). */
  start(): Promise<void>;
}

/**
 * Starts `count` redis-servers through packages/infra, each on a port the kernel
 * picked and with a state dir of its own under `baseDir`, so each can be killed alone.
 */
export async function startReplicaServers(
  count: number,
  options: { baseDir: string; log?: (line: string) => void },
): Promise<ReplicaServer[]> {
  const servers: ReplicaServer[] = [];
  try {
    for (let i = 1; i <= count; i++) {
      const port = await freePort();
      const serviceOptions = {
        stateDir: path.join(options.baseDir, `replica-${port}`),
        port,
        log: options.log ?? (() => {}),
      };
      let service: Service = await startRedis(serviceOptions);
      servers.push({
        name: `replica-${i}`,
        port,
        url: service.url,
        pid: () => service.pid,
        stop: () => service.stop(),
        start: async () => {
          service = await startRedis(serviceOptions);
        },
      });
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
  return servers;
}

/** A replica reached through its own node-redis connection. */
export interface ReplicaLink extends Replica {
  url: string;
  /** Settles once the first connection is up (or failed; it keeps retrying). */
  ready: Promise<void>;
  close(): void;
}

/**
 * A connection that fails fast while its server is gone: no offline queue (node-redis
 * would hold commands until reconnected), reconnects with capped backoff on its own.
 * A server that is up but silent (paused, black-holed) is bounded by the quorum
 * client's own per-request deadline instead.
 */
export function connectReplica(name: string, url: string): ReplicaLink {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1000, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000) },
  });
  // Connection errors reach callers as failed commands; an unhandled 'error' event would kill the process.
  client.on("error", () => {});
  const ready = client.connect().then(
    () => {},
    () => {},
  );
  return {
    name,
    url,
    connection: { sendCommand: (args) => client.sendCommand([...args]) },
    ready,
    close: () => client.destroy(),
  };
}
