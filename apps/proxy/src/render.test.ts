import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderHaproxyConfig } from "./render-haproxy.js";
import { infraFiles, labFrontends, labRenderOptions } from "./render-infra.js";
import { renderNginxConfig } from "./render-nginx.js";

const haproxyBin = "/usr/sbin/haproxy";
const nginxBin = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((candidate) => existsSync(candidate));

describe("infra configs", () => {
  it("infra/haproxy and infra/nginx match what the renderer makes from the lab's backend list", () => {
    expect(readFileSync(infraFiles.haproxy, "utf8")).toBe(renderHaproxyConfig(labRenderOptions()));
    expect(readFileSync(infraFiles.nginx, "utf8")).toBe(renderNginxConfig(labRenderOptions()));
  });

  it("the nginx config names every backend, the cookie and the same JSON errors", () => {
    const text = renderNginxConfig({ frontends: labFrontends() });
    for (const port of [4101, 4102, 4103, 4201, 4202, 4203]) expect(text).toContain(`127.0.0.1:${port}`);
    expect(text).toContain("SL_BACKEND=$id; Path=/; HttpOnly; SameSite=Lax");
    expect(text).toContain('"code":"no_healthy_backend"');
  });

  it.skipIf(!existsSync(haproxyBin))("haproxy -c accepts infra/haproxy/haproxy.cfg", () => {
    execFileSync(haproxyBin, ["-c", "-q", "-f", infraFiles.haproxy], { stdio: "pipe" });
  });

  // nginx is not installed on every machine; when it is, the rendered config must pass `nginx -t`.
  it.skipIf(nginxBin === undefined)("nginx -t accepts the rendered config", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "statelab-nginx-"));
    try {
      const frontends = labFrontends().map((frontend, index) => ({ ...frontend, port: 18081 + index }));
      for (const sub of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(path.join(dir, sub));
      const file = path.join(dir, "nginx.conf");
      writeFileSync(file, renderNginxConfig({ frontends, runDir: dir }));
      execFileSync(nginxBin as string, ["-t", "-p", dir, "-c", file], { stdio: "pipe" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
