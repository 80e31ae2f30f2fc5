import { rmSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "@statelab/infra";
import { connectReplica, type ReplicaLink, type ReplicaServer, startReplicaServers } from "@statelab/quorum";

export interface TestReplicas {
  servers: ReplicaServer[];
  links: ReplicaLink[];
  /** SIGSTOP: the server keeps its sockets but answers nothing (a lagging or partitioned replica). */
  pause(index: number): void;
  resume(index: number): void;
  /** Resumes what is paused, closes the connections and stops every server. */
  close(): Promise<void>;
}

/**
 * `count` real redis-servers of this test file's own (kernel-assigned ports), one
 * connection each. Call `close()` in the file's top-level afterAll (a hook registered
 * from inside beforeAll would never run).
 */
export async function testReplicas(count: number): Promise<TestReplicas> {
  const home = process.env.STATELAB_TEST_HOME ?? path.join(projectRoot, ".statelab", "test");
  const baseDir = path.join(home, `quorum-${process.pid}-${Date.now()}`);
  const servers = await startReplicaServers(count, { baseDir });
  const links = servers.map((server) => connectReplica(server.name, server.url));
  await Promise.all(links.map((link) => link.ready));
  const paused = new Set<number>();
  const signal = (index: number, sig: NodeJS.Signals) => {
    const pid = servers[index]?.pid();
    if (!pid) throw new Error(`replica ${index} has no pid`);
    process.kill(pid, sig);
  };
  return {
    servers,
    links,
    pause(index) {
      signal(index, "SIGSTOP");
      paused.add(index);
    },
    resume(index) {
      signal(index, "SIGCONT");
      paused.delete(index);
    },
    async close() {
      for (const index of paused) signal(index, "SIGCONT");
      for (const link of links) link.close();
      await Promise.all(servers.map((server) => server.stop()));
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
}
