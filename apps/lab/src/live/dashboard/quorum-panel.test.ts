import { createQuorumClient } from "@statelab/quorum";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestReplicas, testReplicas } from "../../../../../tests/support/quorum.js";
import { quorumPanel } from "./quorum-panel.js";

let replicas: TestReplicas;
beforeAll(async () => {
  replicas = await testReplicas(3);
});
afterAll(() => replicas.close());

interface PanelBody {
  status: string;
  newestCounter: number | null;
  replicas: { name: string; status: string; keys: number; newestKeyCounter: number | null }[];
  summary: string;
}

describe("the dashboard's quorum panel, on 3 real redis-servers", () => {
  it("shows each replica's version of the newest session; a replica that missed writes shows behind, a stopped one down", async () => {
    const prefix = `qp${Date.now()}:sess:`;
    const panel = quorumPanel(
      replicas.servers.map((server) => ({ name: server.name, url: server.url })),
      prefix,
    );
    try {
      const all = createQuorumClient({ replicas: replicas.links, r: 2, w: 3, timeoutMs: 2000 });
      await all.write(`${prefix}a`, "one");
      // replica-3 misses the next write: W = 2 over the first two only.
      const two = createQuorumClient({ replicas: replicas.links.slice(0, 2), r: 2, w: 2, timeoutMs: 2000 });
      const version = await two.write(`${prefix}a`, "two");

      const body = (await panel.source()) as unknown as PanelBody;
      expect(body.status).toBe("ok");
      expect(body.newestCounter).toBe(version.counter);
      expect(body.replicas.map((r) => r.newestKeyCounter)).toEqual([
        version.counter,
        version.counter,
        version.counter - 1,
      ]);
      expect(body.summary.split("\n")[2]).toMatch(/^replica-3: 1 session keys .* \(behind\)$/);

      replicas.pause(2);
      const down = (await Promise.race([
        panel.source(),
        new Promise((resolve) => setTimeout(() => resolve("hung"), 10_000)),
      ])) as PanelBody | "hung";
      replicas.resume(2);
      // A paused replica holds its socket: the panel must not hang on it forever.
      expect(down).not.toBe("hung");
      expect((down as PanelBody).replicas.map((r) => r.status)).toEqual(["up", "up", "down"]);
      expect((down as PanelBody).summary).toContain("replica-3: down");
    } finally {
      panel.close();
    }
  }, 30_000);
});
