import net from "node:net";
import { checkFault, type Direction, type Fault, type StreamFault } from "./fault.js";
import { Pipe } from "./pipe.js";

/** A TCP relay between a client and a server whose fault can change at any time. */
export interface Relay {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** host:port, e.g. "127.0.0.1:45123". */
  readonly url: string;
  /** Applies a fault to live and new connections; direction defaults to "both". */
  set(fault: Fault, direction?: Direction): void;
  /** Back to pass in both directions. */
  clear(): void;
  /** Destroys every live connection mid-stream; new ones pass as before. */
  cut(): void;
  /** Live relayed connections. */
  connections(): number;
  /** Stops listening and destroys every connection; resolves once no socket is left. */
  close(): Promise<void>;
}

export interface RelayOptions {
  target: { host: string; port: number };
  host?: string;
  port?: number;
  name?: string;
}

type Gate = "open" | "reset" | "refuse";

interface Link {
  /** Tears both sockets down (with an RST when asked) and forgets the link at once. */
  end(how: "destroy" | "reset"): void;
  /** Resolves once both sockets have closed. */
  closed: Promise<void>;
  pipes: Pipe[];
}

const pass: StreamFault = { kind: "pass" };

/** Starts a relay listening on host:port (default 127.0.0.1, a free port) that forwards to target. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const { target } = options;
  if (!target || typeof target.host !== "string" || !Number.isInteger(target.port) || target.port <= 0) {
    throw new RangeError("startRelay needs target { host, port }");
  }
  const host = options.host ?? "127.0.0.1";
  const name = options.name ?? `relay→${target.host}:${target.port}`;
  const links = new Set<Link>();
  const streams: Record<"upstream" | "downstream", StreamFault> = { upstream: pass, downstream: pass };
  let gate: Gate = "open";
  let closed = false;
  let listener: net.Server | undefined;
  let binding: Promise<void> | undefined;

  function accept(client: net.Socket): void {
    if (closed || gate !== "open") {
      client.resetAndDestroy();
      return;
    }
    const server = net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    const link: Link = {
      end(how) {
        links.delete(link);
        for (const pipe of link.pipes) pipe.stop();
        for (const socket of [client, server]) {
          if (how === "reset") socket.resetAndDestroy();
          else socket.destroy();
        }
      },
      closed: Promise.all([closeOf(client), closeOf(server)]).then(() => undefined),
      pipes: [new Pipe(client, server, () => streams.upstream), new Pipe(server, client, () => streams.downstream)],
    };
    links.add(link);
    // An error on one side (RST, refused target) is passed on as an RST, as a router would.
    client.on("error", () => link.end("reset"));
    server.on("error", () => link.end("reset"));
    client.on("close", () => link.end("destroy"));
    server.on("close", () => link.end("destroy"));
    for (const pipe of link.pipes) pipe.pump();
  }

  function listen(port: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true, noDelay: true }, accept);
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve(server);
      });
    });
  }

  function wantsListener(): boolean {
    return !closed && gate !== "refuse";
  }

  // Reopens the same port after "refuse"; a port grabbed meanwhile is retried until it frees.
  async function rebind(): Promise<void> {
    while (wantsListener() && !listener) {
      try {
        listener = await listen(port);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    if (!wantsListener() && listener) void stopListening();
  }

  /** Closes the listener now (new connections are refused at once); resolves when its connections are gone too. */
  function stopListening(): Promise<void> {
    const server = listener;
    listener = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  function syncListener(): void {
    if (!wantsListener()) void stopListening();
    else if (!listener && !binding) binding = rebind().finally(() => (binding = undefined));
  }

  listener = await listen(options.port ?? 0);
  const port = (listener.address() as net.AddressInfo).port;

  function set(fault: Fault, direction: Direction = "both"): void {
    if (closed) throw new Error(`${name} is closed`);
    checkFault(fault, direction);
    if (fault.kind === "reset" || fault.kind === "refuse") {
      gate = fault.kind;
      streams.upstream = pass;
      streams.downstream = pass;
      // A down server's connections end with it; a reset tears them with an RST.
      for (const link of [...links]) link.end(fault.kind === "reset" ? "reset" : "destroy");
    } else {
      gate = "open";
      if (direction !== "downstream") streams.upstream = fault;
      if (direction !== "upstream") streams.downstream = fault;
      for (const link of links) for (const pipe of link.pipes) pipe.pump();
    }
    syncListener();
  }

  return {
    name,
    host,
    port,
    url: `${host}:${port}`,
    set,
    clear: () => set(pass),
    cut() {
      for (const link of [...links]) link.end("destroy");
    },
    connections() {
      return links.size;
    },
    async close() {
      closed = true;
      const stopped = stopListening();
      const waits = [...links].map((link) => link.closed);
      for (const link of [...links]) link.end("destroy");
      await binding;
      await Promise.all([...waits, stopped]);
    },
  };
}

function closeOf(socket: net.Socket): Promise<void> {
  return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once("close", () => resolve()));
}
