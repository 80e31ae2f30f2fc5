import { readFileSync } from "node:fs";
import net from "node:net";
import { startRelay, startTimedFault } from "@statelab/faults";
import { afterEach, describe, expect, it } from "vitest";
import { Supervisor } from "../../stack/children.js";
import { processFault, relayFault } from "./specs.js";

/** The process state letter from /proc (R, S, T = stopped, Z…), or null once it is gone. */
function stateOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] ?? null;
  } catch {
    return null;
  }
}

const supervisor = new Supervisor();
afterEach(() => supervisor.stopAll(1000));

function sleeper() {
  return supervisor.add({
    name: "sleeper",
    command: process.execPath,
    args: ["-e", "setInterval(() => {}, 1000)"],
    env: {},
    isReady: async () => true,
  });
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("timed process faults on real processes", () => {
  it("SIGSTOP ends by itself: the process runs again after the duration, even if the caller threw", async () => {
    const child = sleeper();
    await child.start();
    const pid = child.pid as number;
    const scenario = async () => {
      await startTimedFault(processFault(child, "stop", 400));
      await until(() => stateOf(pid) === "T");
      throw new Error("scenario broke while the process was stopped");
    };
    await expect(scenario()).rejects.toThrow("scenario broke");
    expect(stateOf(pid)).toBe("T");
    await until(() => stateOf(pid) !== "T");
    expect(child.isPaused).toBe(false);
  });

  it("kill -9 ends with a fresh process after the duration", async () => {
    const child = sleeper();
    await child.start();
    const before = child.pid as number;
    const fault = await startTimedFault(processFault(child, "kill", 300));
    expect(child.isRunning).toBe(false);
    expect(stateOf(before)).toBeNull();
    await fault.ended;
    expect(child.isRunning).toBe(true);
    expect(child.pid).not.toBe(before);
  });
});

/** Whether a TCP connect to the relay is accepted, or the error code it gets. */
function connectOutcome(relay: { host: string; port: number }): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: relay.host, port: relay.port });
    socket.once("connect", () => {
      resolve("connected");
      socket.destroy();
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
  });
}

describe("relayFault", () => {
  it("sets every relay and clears them all when its time is up", async () => {
    const target = { host: "127.0.0.1", port: 9 };
    const relays = await Promise.all([startRelay({ target }), startRelay({ target })]);
    try {
      const spec = relayFault("two links", relays, { kind: "refuse" }, 200);
      const fault = await startTimedFault(spec);
      expect(await Promise.all(relays.map(connectOutcome))).toEqual(["ECONNREFUSED", "ECONNREFUSED"]);
      await fault.ended;
      expect(await Promise.all(relays.map(connectOutcome))).toEqual(["connected", "connected"]);
    } finally {
      await Promise.all(relays.map((relay) => relay.close()));
    }
  });
});
