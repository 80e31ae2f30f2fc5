import { rmSync } from "node:fs";
import path from "node:path";
import { type Relay, startRelay } from "@statelab/faults";
import {
  connectReplica,
  createQuorumClient,
  type QuorumClient,
  type ReplicaLink,
  type ReplicaServer,
  startReplicaServers,
} from "@statelab/quorum";
import { viaRelay } from "../../compare/pool.js";
import { labHome } from "../../stack/lab.js";

/** One client's view of the replicas: a TCP relay in front of each, so its path to each can be cut. */
export interface ClusterSide {
  relays: Relay[];
  links: ReplicaLink[];
}

/** N real redis-servers, reached directly and through per-side relays. */
export interface QuorumCluster {
  servers: ReplicaServer[];
  /** Straight to each server: no relay in the way (the throughput scenario). */
  direct: ReplicaLink[];
  sides: Record<string, ClusterSide>;
  /** A quorum client over the first `n` replicas as `side` sees them ("direct" for no relays). */
  client(side: string, spec: { n: number; r: number; w: number }, timeoutMs: number, writerId?: string): QuorumClient;
  /** Stops every relay, connection and server; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts `n` redis-servers (packages/infra, kernel-assigned ports, a state dir each)
 * and, per side, a packages/faults relay in front of each: partition injection that a
 * person can see (the relay's name says which path it is) and undo (`relay.clear()`).
 */
export async function startQuorumCluster(n: number, sideNames: readonly string[]): Promise<QuorumCluster> {
  // A folder per cluster, removed with it: the servers keep nothing (persistence is off) but their logs.
  const baseDir = path.join(labHome, "quorum", `${process.pid}-${Date.now()}`);
  const servers = await startReplicaServers(n, { baseDir });
  const relays: Relay[] = [];
  const links: ReplicaLink[] = [];
  const close = async () => {
    for (const link of links.splice(0)) link.close();
    await Promise.all(relays.splice(0).map((relay) => relay.close()));
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(baseDir, { recursive: true, force: true });
  };
  try {
    const direct = servers.map((server) => connectReplica(server.name, server.url));
    links.push(...direct);
    const sides: Record<string, ClusterSide> = {};
    for (const side of sideNames) {
      const own = await Promise.all(
        servers.map((server) =>
          startRelay({ target: { host: "127.0.0.1", port: server.port }, name: `${side}→${server.name}` }),
        ),
      );
      relays.push(...own);
      // The server's own URL (its ACL user and password) with the relay's host and port.
      const sideLinks = own.map((relay, i) =>
        connectReplica(servers[i]?.name ?? relay.name, viaRelay((servers[i] as ReplicaServer).url, relay)),
      );
      links.push(...sideLinks);
      sides[side] = { relays: own, links: sideLinks };
    }
    await Promise.all(links.map((link) => link.ready));
    return {
      servers,
      direct,
      sides,
      client(side, spec, timeoutMs, writerId) {
        const view = side === "direct" ? direct : sides[side]?.links;
        if (!view) throw new Error(`no cluster side ${side}`);
        return createQuorumClient({
          replicas: view.slice(0, spec.n),
          r: spec.r,
          w: spec.w,
          timeoutMs,
          ...(writerId ? { writerId } : {}),
        });
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
