import { createHash } from "node:crypto";
import { once } from "node:events";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type Relay, startRelay } from "./index.js";

/** A loopback server: greets on connect when asked, echoes every byte, and counts its sockets. */
async function startTarget(options: { greeting?: string } = {}) {
  const sockets = new Set<net.Socket>();
  const received: Buffer[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    if (options.greeting) socket.write(options.greeting);
    socket.on("data", (chunk: Buffer) => {
      received.push(chunk);
      socket.write(chunk);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    sockets,
    received: () => Buffer.concat(received).toString(),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

type Target = Awaited<ReturnType<typeof startTarget>>;

/** A client socket whose received bytes and end are recorded. */
async function connect(relay: Relay) {
  const socket = net.connect({ host: relay.host, port: relay.port });
  let data = "";
  let error: NodeJS.ErrnoException | undefined;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (data += chunk));
  socket.on("error", (err) => (error = err));
  // events.once would reject on the socket's error; the close is what is awaited here.
  const closed = new Promise((resolve) => socket.once("close", resolve));
  await once(socket, "connect");
  return { socket, data: () => data, error: () => error, closed };
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds from writing `text` to reading it back through the echo target. */
async function roundTrip(client: Awaited<ReturnType<typeof connect>>, text: string): Promise<number> {
  const before = client.data().length;
  const start = performance.now();
  client.socket.write(text);
  await until(() => client.data().length >= before + text.length);
  return performance.now() - start;
}

const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP")).length;

let relay: Relay | undefined;
let target: Target | undefined;
afterEach(async () => {
  await relay?.close();
  await target?.close();
  relay = undefined;
  target = undefined;
});

async function setup(options: { greeting?: string } = {}) {
  target = await startTarget(options);
  relay = await startRelay({ target: { host: "127.0.0.1", port: target.port }, name: "test" });
  return { relay, target };
}

describe("startRelay", () => {
  it("pass: forwards both ways and reports its address and live connections", async () => {
    const { relay } = await setup();
    expect(relay.url).toBe(`127.0.0.1:${relay.port}`);
    const client = await connect(relay);
    await roundTrip(client, "hello");
    expect(client.data()).toBe("hello");
    expect(relay.connections()).toBe(1);
    client.socket.end();
    await client.closed;
    await until(() => relay.connections() === 0);
  });

  it("rejects bad options and bad faults when called, not later", async () => {
    await expect(startRelay({ target: { host: "127.0.0.1", port: 0 } })).rejects.toThrow(RangeError);
    const { relay } = await setup();
    expect(() => relay.set({ kind: "latency", ms: -1 })).toThrow(RangeError);
    expect(() => relay.set({ kind: "latency", ms: Number.NaN })).toThrow(RangeError);
    expect(() => relay.set({ kind: "latency", ms: 10, jitterMs: -5 })).toThrow(RangeError);
    expect(() => relay.set({ kind: "reset" }, "upstream")).toThrow(RangeError);
    expect(() => relay.set({ kind: "pass" }, "sideways" as never)).toThrow(RangeError);
    expect(() => relay.set({ kind: "drop" } as never)).toThrow(RangeError);
  });

  describe("latency", () => {
    it("both: every round trip takes at least twice the delay", async () => {
      const { relay } = await setup();
      const client = await connect(relay);
      relay.set({ kind: "latency", ms: 150 });
      expect(await roundTrip(client, "a")).toBeGreaterThanOrEqual(290);
    });

    it("upstream only: a server greeting is not delayed, the client's bytes are", async () => {
      const { relay } = await setup({ greeting: "hi" });
      relay.set({ kind: "latency", ms: 400 }, "upstream");
      const start = performance.now();
      const client = await connect(relay);
      await until(() => client.data() === "hi");
      expect(performance.now() - start).toBeLessThan(400);
      expect(await roundTrip(client, "x")).toBeGreaterThanOrEqual(395);
    });

    it("downstream only: the server greeting is delayed", async () => {
      const { relay } = await setup({ greeting: "hi" });
      relay.set({ kind: "latency", ms: 400 }, "downstream");
      const start = performance.now();
      const client = await connect(relay);
      await until(() => client.data() === "hi");
      expect(performance.now() - start).toBeGreaterThanOrEqual(395);
    });

    it("jitter delays chunks without reordering the stream", async () => {
      const { relay } = await setup();
      relay.set({ kind: "latency", ms: 20, jitterMs: 80 });
      const client = await connect(relay);
      let sent = "";
      for (let i = 0; i < 40; i++) {
        sent += `${i},`;
        client.socket.write(`${i},`);
        await sleep(3);
      }
      await until(() => client.data().length === sent.length);
      expect(client.data()).toBe(sent);
    });

    it("carries 4 MB intact under latency (backpressure, no loss)", async () => {
      const { relay } = await setup();
      relay.set({ kind: "latency", ms: 5, jitterMs: 5 });
      const payload = Buffer.alloc(4 << 20, "0123456789abcdef");
      const client = net.connect({ host: relay.host, port: relay.port });
      const hash = createHash("sha256");
      let bytes = 0;
      client.on("data", (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      client.write(payload);
      await until(() => bytes === payload.length, 20_000);
      expect(hash.digest("hex")).toBe(createHash("sha256").update(payload).digest("hex"));
      client.destroy();
    });
  });

  describe("blackhole", () => {
    it("new connections are accepted and hear nothing; the held bytes arrive once it clears", async () => {
      const { relay, target } = await setup({ greeting: "hi" });
      relay.set({ kind: "blackhole" });
      const client = await connect(relay);
      client.socket.write("ping");
      await sleep(300);
      expect(client.data()).toBe("");
      expect(target.received()).toBe("");
      expect(relay.connections()).toBe(1);
      relay.clear();
      await until(() => client.data() === "hiping");
    });

    it("upstream only: the client's bytes are held while the server's still arrive", async () => {
      const { relay, target } = await setup({ greeting: "hi" });
      relay.set({ kind: "blackhole" }, "upstream");
      const client = await connect(relay);
      await until(() => client.data() === "hi");
      client.socket.write("ping");
      await sleep(300);
      expect(target.received()).toBe("");
      relay.set({ kind: "pass" }, "upstream");
      await until(() => client.data() === "hiping");
    });

    it("downstream only: the server gets the bytes, the client never hears back until it clears", async () => {
      const { relay, target } = await setup();
      const client = await connect(relay);
      relay.set({ kind: "blackhole" }, "downstream");
      client.socket.write("ping");
      await until(() => target.received() === "ping");
      await sleep(200);
      expect(client.data()).toBe("");
      relay.clear();
      await until(() => client.data() === "ping");
    });
  });

  describe("reset", () => {
    it("tears live connections with an RST and resets new ones until cleared", async () => {
      const { relay, target } = await setup();
      const live = await connect(relay);
      await roundTrip(live, "a");
      relay.set({ kind: "reset" });
      await live.closed;
      expect(live.error()?.code).toBe("ECONNRESET");
      await until(() => target.sockets.size === 0 && relay.connections() === 0);
      const fresh = net.connect({ host: relay.host, port: relay.port });
      const [err] = (await once(fresh, "error")) as [NodeJS.ErrnoException];
      expect(err.code).toBe("ECONNRESET");
      relay.clear();
      const after = await connect(relay);
      await roundTrip(after, "b");
      expect(after.data()).toBe("b");
    });
  });

  describe("refuse", () => {
    it("closes live connections, refuses new ones, and reopens the same port when cleared", async () => {
      const { relay } = await setup();
      const live = await connect(relay);
      relay.set({ kind: "refuse" });
      await live.closed;
      const fresh = net.connect({ host: relay.host, port: relay.port });
      const [err] = (await once(fresh, "error")) as [NodeJS.ErrnoException];
      expect(err.code).toBe("ECONNREFUSED");
      relay.clear();
      await sleep(20);
      const after = await connect(relay);
      await roundTrip(after, "back");
      expect(after.data()).toBe("back");
    });
  });

  it("switches modes under a live connection without losing or reordering a byte", async () => {
    const { relay } = await setup();
    const client = await connect(relay);
    let sent = "";
    const faults = [
      { kind: "latency", ms: 50 },
      { kind: "blackhole" },
      { kind: "latency", ms: 10, jitterMs: 30 },
      { kind: "pass" },
    ] as const;
    for (const [i, fault] of faults.entries()) {
      relay.set(fault, i % 2 === 0 ? "both" : "upstream");
      for (let j = 0; j < 10; j++) {
        sent += `${i}.${j};`;
        client.socket.write(`${i}.${j};`);
        await sleep(5);
      }
    }
    relay.clear();
    await until(() => client.data().length === sent.length);
    expect(client.data()).toBe(sent);
  });

  it("cut: a stream dies mid-flight, the relay keeps serving new connections", async () => {
    const { relay, target } = await setup();
    const client = await connect(relay);
    relay.set({ kind: "latency", ms: 200 }, "downstream");
    client.socket.write("x".repeat(1000));
    await until(() => target.received().length === 1000);
    relay.cut();
    await client.closed;
    expect(client.data().length).toBeLessThan(1000);
    expect(relay.connections()).toBe(0);
    relay.clear();
    const next = await connect(relay);
    await roundTrip(next, "ok");
    expect(next.data()).toBe("ok");
  });

  it("a target that is down resets the client instead of hanging it", async () => {
    const { relay, target } = await setup();
    await target.close();
    const client = net.connect({ host: relay.host, port: relay.port });
    await new Promise((resolve) => client.on("error", () => {}).once("close", resolve));
    await until(() => relay.connections() === 0);
  });

  it("close leaves no socket behind: relay, target side and this process", async () => {
    const before = tcpHandles();
    const { relay, target } = await setup();
    const clients = await Promise.all([connect(relay), connect(relay), connect(relay)]);
    relay.set({ kind: "blackhole" }, "downstream");
    for (const client of clients) client.socket.write("held");
    await until(() => target.sockets.size === 3);
    await relay.close();
    await Promise.all(clients.map((client) => client.closed));
    await until(() => target.sockets.size === 0);
    expect(relay.connections()).toBe(0);
    const refused = net.connect({ host: relay.host, port: relay.port });
    const [err] = (await once(refused, "error")) as [NodeJS.ErrnoException];
    expect(err.code).toBe("ECONNREFUSED");
    expect(() => relay.set({ kind: "pass" })).toThrow(/closed/);
    await target.close();
    await until(() => tcpHandles() <= before);
  });
});
