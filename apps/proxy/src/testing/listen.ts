import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createProxy, type ProxyOptions, type ReverseProxy } from "../proxy.js";

export interface RunningProxy {
  readonly proxy: ReverseProxy;
  readonly url: string;
  readonly adminUrl: string;
  stop(): Promise<void>;
}

/** Starts a proxy on ephemeral loopback ports (tests and the benchmark). */
export async function listenProxy(options: ProxyOptions): Promise<RunningProxy> {
  const proxy = createProxy(options);
  proxy.server.listen(0, "127.0.0.1");
  proxy.admin.listen(0, "127.0.0.1");
  await Promise.all([once(proxy.server, "listening"), once(proxy.admin, "listening")]);
  const port = (proxy.server.address() as AddressInfo).port;
  const adminPort = (proxy.admin.address() as AddressInfo).port;
  return {
    proxy,
    url: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    async stop() {
      const closed = Promise.all([
        new Promise((resolve) => proxy.server.close(resolve)),
        new Promise((resolve) => proxy.admin.close(resolve)),
      ]);
      proxy.server.closeAllConnections();
      proxy.admin.closeAllConnections();
      await closed;
      await proxy.close();
    },
  };
}
