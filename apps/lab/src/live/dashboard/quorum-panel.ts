import { connectReplica, type ReplicaLink } from "@statelab/quorum";
import type { PanelSource } from "./server.js";

/** At most this many session keys are read per replica per refresh: the panel must stay cheap. */
const SCAN_LIMIT = 200;
/** A replica that has not answered within this is shown down: a paused server holds its socket open. */
const ANSWER_WITHIN_MS = 1000;

interface ReplicaView {
  name: string;
  status: "up" | "down";
  /** Session keys seen (bounded scan). */
  keys: number;
  /** The highest version counter among them. */
  maxCounter: number;
  /** This replica's version counter of the newest key in the cluster; null = it does not hold it. */
  newestKeyCounter: number | null;
}

async function scanReplica(link: ReplicaLink, match: string): Promise<Map<string, number> | null> {
  try {
    const counters = new Map<string, number>();
    let cursor = "0";
    do {
      const [next, keys] = (await link.connection.sendCommand(["SCAN", cursor, "MATCH", match, "COUNT", "100"])) as [
        string,
        string[],
      ];
      cursor = next;
      for (const key of keys) {
        if (counters.size >= SCAN_LIMIT) break;
        const counter = await link.connection.sendCommand(["HGET", key, "c"]);
        if (typeof counter === "string") counters.set(key, Number(counter));
      }
    } while (cursor !== "0" && counters.size < SCAN_LIMIT);
    return counters;
  } catch {
    return null; // down or cut off: the panel says so
  }
}

function withDeadline<T>(work: Promise<T | null>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * The quorum panel (SESSION_STORE=quorum): per replica, up or down, how many session
 * keys it holds and their highest version, and its version of the newest session in
 * the cluster — a lagging or restarted replica shows as behind until read repair or
 * the next write reaches it.
 */
export function quorumPanel(replicas: readonly { name: string; url: string }[], sessionPrefix: string) {
  const links = replicas.map((replica) => connectReplica(replica.name, replica.url));
  const source: PanelSource = async () => {
    const scans = await Promise.all(
      links.map((link) => withDeadline(scanReplica(link, `${sessionPrefix}*`), ANSWER_WITHIN_MS)),
    );
    let newest: { key: string; counter: number } | null = null;
    for (const scan of scans)
      for (const [key, counter] of scan ?? [])
        if (newest === null || counter > newest.counter) newest = { key, counter };
    const views: ReplicaView[] = links.map((link, i) => {
      const scan = scans[i] ?? null;
      return {
        name: link.name,
        status: scan ? "up" : "down",
        keys: scan?.size ?? 0,
        maxCounter: Math.max(0, ...(scan?.values() ?? [])),
        newestKeyCounter: newest && scan ? (scan.get(newest.key) ?? null) : null,
      };
    });
    const line = (view: ReplicaView) =>
      view.status === "down"
        ? `${view.name}: down`
        : `${view.name}: ${view.keys} session keys (tombstones too), highest version ${view.maxCounter}; newest session at ` +
          `${view.newestKeyCounter === null ? "— (missing)" : `v${view.newestKeyCounter}`}` +
          (newest && view.newestKeyCounter !== null && view.newestKeyCounter < newest.counter ? " (behind)" : "");
    return {
      status: "ok",
      replicas: views,
      newestCounter: newest?.counter ?? null,
      summary: views.map(line).join("\n"),
    };
  };
  const close = () => {
    for (const link of links) link.close();
  };
  return { source, close };
}
