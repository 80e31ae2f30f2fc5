import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderNginxConfig } from "./render-nginx.js";
import { expectClientAddressReplaced, expectOperatorPathsUnrouted, freePort } from "./testing/hostile.js";
import { startTestBackend, type TestBackend, waitFor } from "./testing/test-backend.js";

const nginxBin = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((file) => {
  try {
    execFileSync(file, ["-v"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
});
if (!nginxBin) console.warn("nginx.test.ts skipped: nginx is not installed");

// The rendered nginx config in front of real backends: the same client-address and
// operator-endpoint rules as the built-in proxy and HAProxy (their tests: proxy.test.ts, haproxy.test.ts).
describe.skipIf(!nginxBin)("real nginx with the rendered config", () => {
  let backends: TestBackend[] = [];
  let nginx: ChildProcess | undefined;
  let log = "";
  let dir = "";
  let url = "";

  beforeAll(async () => {
    backends = await Promise.all(["n1", "n2"].map((id) => startTestBackend(id)));
    const port = await freePort();
    dir = mkdtempSync(path.join(tmpdir(), "statelab-nginx-"));
    chmodSync(dir, 0o755);
    for (const sub of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
      mkdirSync(path.join(dir, sub), { mode: 0o777 });
    const file = path.join(dir, "nginx.conf");
    writeFileSync(
      file,
      renderNginxConfig({
        frontends: [
          {
            name: "rr",
            host: "127.0.0.1",
            port,
            strategy: "round-robin",
            backends: backends.map((b) => ({ id: b.id, origin: b.origin, host: "127.0.0.1", port: b.port })),
          },
        ],
        runDir: dir,
        sourceAddress: "127.0.0.2",
      }),
    );
    nginx = spawn(nginxBin as string, ["-p", dir, "-c", file, "-g", "daemon off;"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    nginx.stderr?.on("data", (chunk) => {
      log += chunk;
    });
    url = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        if (nginx?.exitCode !== null) throw new Error(`nginx exited: ${log}`);
        return request(url)
          .get("/whoami")
          .then((res) => res.status === 200)
          .catch(() => false);
      },
      15_000,
      "nginx to listen",
    );
  });

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx?.once("exit", resolve));
      nginx.kill("SIGQUIT");
      await exited;
    }
    await Promise.all(backends.map((backend) => backend.kill()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("replaces a client's X-Forwarded-For, Forwarded and X-Real-IP with the peer, connecting from 127.0.0.2 (A5)", async () => {
    await expectClientAddressReplaced(url, "127.0.0.2");
  });

  it("answers /metrics and /lease with its own 404 in every spelling; /readyz without instance detail (H5)", async () => {
    await expectOperatorPathsUnrouted(url, backends);
    const ready = await request(url).get("/Readyz/").expect(200);
    expect(ready.body).toEqual({ status: "ok" });
  });
});
