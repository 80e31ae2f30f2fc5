import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { loadConfig, parseFlags } from "./config.js";
import { ProxyConfigError } from "./errors.js";
import { createProxy } from "./proxy.js";

// Flags (--strategy, --port, --backends) override their env vars; both are checked together.
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env, parseFlags(process.argv.slice(2)));
} catch (error) {
  if (!(error instanceof ProxyConfigError)) throw error;
  // One plain line, before any logger: the log level is itself configuration.
  console.error(`statelab-proxy: ${error.message}`);
  process.exit(error.isUsage ? 2 : 1);
}

const log = pino({ name: "statelab-proxy", level: config.logLevel });

const proxy = createProxy({ ...config, onEvent: (event) => log.info(event, event.type) });

async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  server.listen(port, host);
  await once(server, "listening");
  return server.address() as AddressInfo;
}

const traffic = await listen(proxy.server, config.port, config.host);
const admin = await listen(proxy.admin, config.adminPort, config.adminHost);
log.info(
  {
    url: `http://${traffic.address}:${traffic.port}`,
    admin: `http://${admin.address}:${admin.port}`,
    strategy: config.strategy,
    backends: config.backends.map((backend) => `${backend.id}=${backend.origin}`),
  },
  "proxy listening",
);

let isStopping = false;
async function stop(signal: string): Promise<void> {
  if (isStopping) return;
  isStopping = true;
  log.info({ signal }, "stopping: no new connections, waiting for in-flight requests");
  // In-flight requests get the grace period; idle keep-alive clients are let go at once.
  const forced = setTimeout(() => proxy.server.closeAllConnections(), config.shutdownGraceMs);
  forced.unref();
  proxy.server.closeIdleConnections();
  await Promise.all([
    new Promise((resolve) => proxy.server.close(resolve)),
    new Promise((resolve) => proxy.admin.close(resolve)),
  ]);
  clearTimeout(forced);
  await proxy.close();
  log.info("stopped");
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
