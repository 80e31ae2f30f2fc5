import http from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@statelab/http";
import request from "supertest";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../tests/support/index.js";
import { statefulTestApp } from "../../../tests/support/stateful.js";
import { sleep, statefulLogin } from "../../../tests/support/stateful-client.js";

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

describe("SESSION_CACHE (the hybrid)", () => {
  it("reads skip Redis for up to the cache time, so a logout elsewhere takes effect within it, never later", async () => {
    const h = await statefulTestApp({ SESSION_CACHE: "2" });
    const device = await statefulLogin(h.app);
    const other = await statefulLogin(h.app, device.credentials);
    const first = await request(h.app).get("/me").set("Cookie", device.cookies).expect(200);
    expect(first.body.auth.source).toBe("cache");

    const loggedOutAt = Date.now();
    await request(h.app)
      .post("/auth/logout-all")
      .set("Cookie", other.cookies)
      .set("X-CSRF-Token", other.csrfToken)
      .expect(204);

    // The stale window: the snapshot still answers for the device that did not log out.
    const stale = await request(h.app).get("/me").set("Cookie", device.cookies);
    expect(stale.status).toBe(200);
    expect(stale.body.auth.source).toBe("cache");
    // Writes never use the cache: they see the logout at once.
    const write = await request(h.app)
      .patch("/me")
      .set("Cookie", device.cookies)
      .set("X-CSRF-Token", device.csrfToken)
      .send({ displayName: "x" });
    expect(write.status).toBe(401);

    let status = 200;
    while (status === 200 && Date.now() - loggedOutAt < 5000) {
      status = (await request(h.app).get("/me").set("Cookie", device.cookies)).status;
      if (status === 200) await sleep(100);
    }
    expect(status).toBe(401);
    expect(Date.now() - loggedOutAt).toBeLessThanOrEqual(2000 + 500);
  });

  it("a forged or foreign snapshot is ignored (the store decides)", async () => {
    const h = await statefulTestApp({ SESSION_CACHE: "30" });
    const a = await statefulLogin(h.app);
    const b = await statefulLogin(h.app);
    const bCache = b.cookies.split("; ").find((c) => c.startsWith("sl_cache=")) as string;
    // b's snapshot next to a's session cookie: bound to another session id, so not used.
    const mixed = await request(h.app).get("/me").set("Cookie", `${a.cookie}; ${bCache}`).expect(200);
    expect(mixed.body.user.id).toBe(a.userId);
    expect(mixed.body.auth.source).toBe("session");
    const forged = bCache.replace(/\.[^.]+$/, ".AAAA");
    const res = await request(h.app).get("/me").set("Cookie", `${b.cookie}; ${forged}`).expect(200);
    expect(res.body.auth.source).toBe("session");
  });
});

describe("AUTH_BINDING=connection (INSECURE demo)", () => {
  it("behind a pooling keep-alive client, another user's cookieless request is served as the first user", async () => {
    const h = await statefulTestApp({ AUTH_BINDING: "connection" });
    const running = await serve(h.app, { port: 0, logger: silentLogger });
    closers.push(running.close);
    const victim = await statefulLogin(h.app);
    // One pooled upstream connection, as a reverse proxy or an HTTP client library keeps.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    closers.push(async () => agent.destroy());
    const call = (method: string, path: string, body?: object) =>
      new Promise<{ status: number; body: { user?: { id: string } } }>((resolve, reject) => {
        const data = body ? JSON.stringify(body) : undefined;
        const req = http.request(
          {
            host: "127.0.0.1",
            port: (running.server.address() as AddressInfo).port,
            method,
            path,
            agent,
            headers: data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {},
          },
          (res) => {
            let text = "";
            res.on("data", (chunk) => {
              text += chunk;
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
          },
        );
        req.on("error", reject);
        req.end(data);
      });

    // The victim logs in through the pool (the proxy forwards it, and its Set-Cookie, back).
    expect((await call("POST", "/auth/login", victim.credentials)).status).toBe(200);
    // Someone else, with no cookie at all, reuses the same pooled connection.
    const leaked = await call("GET", "/me");
    expect(leaked.status).toBe(200);
    expect(leaked.body.user?.id).toBe(victim.userId);
    // A fresh connection is not authenticated: the "credential" was the socket.
    expect((await request(running.url).get("/me")).status).toBe(401);
  });
});

describe("SESSION_STORE: memory vs redis across two instances", () => {
  it("redis: a session made on one instance works on another; memory: it does not (needs sticky routing)", async () => {
    const shared = { REDIS_PREFIX: `shared_${Date.now()}:` };
    const [r1, r2] = [await statefulTestApp(shared), await statefulTestApp(shared)];
    const viaRedis = await statefulLogin(r1.app);
    await request(r2.app).get("/me").set("Cookie", viaRedis.cookie).expect(200);

    const [m1, m2] = [
      await statefulTestApp({ SESSION_STORE: "memory" }),
      await statefulTestApp({ SESSION_STORE: "memory" }),
    ];
    const viaMemory = await statefulLogin(m1.app);
    await request(m1.app).get("/me").set("Cookie", viaMemory.cookie).expect(200);
    const other = await request(m2.app).get("/me").set("Cookie", viaMemory.cookie);
    expect(other.status).toBe(401);
    expect(other.body.error.code).toBe("session_expired");
  });
});
