import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseBackendList } from "./backend-list.js";
import { presets } from "./config.js";
import type { FrontendSpec } from "./render-haproxy.js";
import { renderHaproxyConfig } from "./render-haproxy.js";
import { renderNginxConfig } from "./render-nginx.js";

/** The lab's two proxies (DESIGN.md ports), as rendered into infra/. */
export function labFrontends(): FrontendSpec[] {
  return (["stateful", "stateless"] as const).map((name) => ({
    name,
    host: "127.0.0.1",
    port: presets[name].port,
    strategy: presets[name].strategy,
    backends: parseBackendList(presets[name].backends),
  }));
}

export const infraFiles = {
  haproxy: fileURLToPath(new URL("../../../infra/haproxy/haproxy.cfg", import.meta.url)),
  nginx: fileURLToPath(new URL("../../../infra/nginx/nginx.conf", import.meta.url)),
} as const;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(infraFiles.haproxy, renderHaproxyConfig({ frontends: labFrontends() }));
  writeFileSync(infraFiles.nginx, renderNginxConfig({ frontends: labFrontends() }));
  console.log(`wrote ${infraFiles.haproxy}\nwrote ${infraFiles.nginx}`);
}
