import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseBackendList } from "./backend-list.js";
import { labSourceAddress, presets } from "./config.js";
import type { FrontendSpec, RenderOptions } from "./render-haproxy.js";
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

/** What infra/ is rendered from: the lab's proxies, connecting to the instances from the lab's source address. */
export function labRenderOptions(): RenderOptions {
  return { frontends: labFrontends(), sourceAddress: labSourceAddress };
}

export const infraFiles = {
  haproxy: fileURLToPath(new URL("../../../infra/haproxy/haproxy.cfg", import.meta.url)),
  nginx: fileURLToPath(new URL("../../../infra/nginx/nginx.conf", import.meta.url)),
} as const;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(infraFiles.haproxy, renderHaproxyConfig(labRenderOptions()));
  writeFileSync(infraFiles.nginx, renderNginxConfig(labRenderOptions()));
  console.log(`wrote ${infraFiles.haproxy}\nwrote ${infraFiles.nginx}`);
}
