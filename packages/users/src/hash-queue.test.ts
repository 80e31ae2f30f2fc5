import { RateLimitedError, ServerBusyError } from "@statelab/http";
import { describe, expect, it } from "vitest";
import { createHashQueue, type HashQueueOptions, type HashTicket } from "./hash-queue.js";

/** Work that finishes when the test says so, recording the order it started in. */
function controlledWork(started: string[]) {
  const release = new Map<string, () => void>();
  return {
    job: (name: string) => () =>
      new Promise<string>((resolve) => {
        started.push(name);
        release.set(name, () => resolve(name));
      }),
    finish: async (name: string) => {
      release.get(name)?.();
      // Let the queue start what comes next.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

const options: HashQueueOptions = { concurrency: 1, maxQueued: 4, maxPerClient: 2, maxWaitMs: 60_000 };
const anon = (client: string): HashTicket => ({ lane: "anonymous", client });
const known = (client: string): HashTicket => ({ lane: "known", client });

describe("createHashQueue (A8)", () => {
  it("runs `concurrency` at once; a full lane answers 503 server_busy at once, not after a wait", async () => {
    const started: string[] = [];
    const work = controlledWork(started);
    const queue = createHashQueue({ ...options, maxPerClient: 10 });
    const running = queue.run(anon("a"), work.job("a0"));
    const waiting = ["a1", "b1", "c1", "d1"].map((name) => queue.run(anon(name), work.job(name)));
    const t0 = Date.now();
    await expect(queue.run(anon("e"), work.job("e1"))).rejects.toBeInstanceOf(ServerBusyError);
    expect(Date.now() - t0).toBeLessThan(50);
    expect(queue.stats()).toEqual({ running: { known: 0, anonymous: 1 }, queued: { known: 0, anonymous: 4 } });
    await work.finish("a0");
    await expect(running).resolves.toBe("a0");
    for (const name of ["a1", "b1", "c1", "d1"]) await work.finish(name);
    await Promise.all(waiting);
    expect(started).toEqual(["a0", "a1", "b1", "c1", "d1"]);
  });

  it("one client holds at most maxPerClient (running or waiting): the next is 429 at once", async () => {
    const started: string[] = [];
    const work = controlledWork(started);
    const queue = createHashQueue(options);
    const first = queue.run(anon("flood"), work.job("f1"));
    const second = queue.run(anon("flood"), work.job("f2"));
    await expect(queue.run(anon("flood"), work.job("f3"))).rejects.toBeInstanceOf(RateLimitedError);
    // Another client still gets in line.
    const other = queue.run(anon("someone"), work.job("s1"));
    for (const name of ["f1", "f2", "s1"]) await work.finish(name);
    await Promise.all([first, second, other]);
  });

  it("clients take turns: a client with many waiting hashes does not go first for all of them", async () => {
    const started: string[] = [];
    const work = controlledWork(started);
    const queue = createHashQueue({ ...options, maxQueued: 10, maxPerClient: 10 });
    const all = [queue.run(anon("x"), work.job("x0"))];
    for (const name of ["a1", "a2", "a3"]) all.push(queue.run(anon("a"), work.job(name)));
    all.push(queue.run(anon("b"), work.job("b1")));
    for (const name of ["x0", "a1", "b1", "a2", "a3"]) await work.finish(name);
    await Promise.all(all);
    expect(started).toEqual(["x0", "a1", "b1", "a2", "a3"]);
  });

  it("a known device's hash starts at once in its own lane, however full the anonymous one is", async () => {
    const started: string[] = [];
    const work = controlledWork(started);
    const queue = createHashQueue({ ...options, maxPerClient: 10 });
    const all = [queue.run(anon("x"), work.job("x0"))];
    for (const name of ["a1", "a2", "a3", "a4"]) all.push(queue.run(anon(`c${name}`), work.job(name)));
    await expect(queue.run(anon("late"), work.job("late"))).rejects.toBeInstanceOf(ServerBusyError);
    const owner = queue.run(known("device-1"), work.job("owner"));
    expect(started).toEqual(["x0", "owner"]);
    await work.finish("owner");
    await expect(owner).resolves.toBe("owner");
    // Known devices queue behind each other only, taking turns like anonymous clients do.
    const k1 = queue.run(known("device-1"), work.job("k1"));
    const k2 = queue.run(known("device-2"), work.job("k2"));
    expect(started.at(-1)).toBe("k1");
    for (const name of ["k1", "k2", "x0", "a1", "a2", "a3", "a4"]) await work.finish(name);
    await Promise.all([...all, k1, k2]);
    expect(started.slice(2)).toEqual(["k1", "k2", "a1", "a2", "a3", "a4"]);
  });

  it("a hash that waited past maxWaitMs is refused (503) instead of started", async () => {
    const started: string[] = [];
    const work = controlledWork(started);
    const queue = createHashQueue({ ...options, maxWaitMs: 20 });
    const first = queue.run(anon("a"), work.job("a0"));
    const stale = queue.run(anon("b"), work.job("b1")).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 40));
    await work.finish("a0");
    await first;
    expect(await stale).toBeInstanceOf(ServerBusyError);
    expect(started).toEqual(["a0"]);
    expect(queue.stats().running).toEqual({ known: 0, anonymous: 0 });
  });

  it("a failing hash frees its slot and its client's share", async () => {
    const queue = createHashQueue({ ...options, maxPerClient: 1 });
    await expect(queue.run(anon("a"), () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(queue.run(anon("a"), async () => "again")).resolves.toBe("again");
  });

  it("refuses nonsense options when built", () => {
    expect(() => createHashQueue({ ...options, concurrency: 0 })).toThrow(TypeError);
  });
});
