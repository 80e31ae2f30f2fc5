import request from "supertest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectClientAddressReplaced, expectOperatorPathsUnrouted } from "./testing/hostile.js";
import { listenProxy, type RunningProxy } from "./testing/listen.js";
import { startTestBackend, type TestBackend, waitFor } from "./testing/test-backend.js";

let backends: TestBackend[] = [];
const running: RunningProxy[] = [];

async function proxyFor(options: Partial<Parameters<typeof listenProxy>[0]> = {}, list = backends) {
  const started = await listenProxy({
    backends: list.map((backend) => ({ id: backend.id, url: backend.origin })),
    healthIntervalMs: 100,
    healthRise: 1,
    healthFall: 1,
    ...options,
  });
  running.push(started);
  return started;
}

function pinOf(setCookie: string[] | string | undefined): string | undefined {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return all.map((cookie) => /^SL_BACKEND=([^;]+)/.exec(cookie)?.[1]).find((value) => value !== undefined);
}

beforeAll(async () => {
  backends = await Promise.all(["s1", "s2", "s3"].map((id) => startTestBackend(id)));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((proxy) => proxy.stop()));
});
afterAll(async () => {
  await Promise.all(backends.map((backend) => backend.kill()));
});

describe("forwarding", () => {
  it("passes X-Instance-Id through and sets X-Request-Id and X-Forwarded-*", async () => {
    const { url } = await proxyFor();
    const res = await request(url).get("/whoami").set("Host", "app.example:8081").expect(200);
    expect(res.headers["x-instance-id"]).toMatch(/^s[123]$/);
    expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const seen = res.body.headers as Record<string, string>;
    expect(seen["x-request-id"]).toBe(res.headers["x-request-id"]);
    expect(seen["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("http");
    expect(seen["x-forwarded-host"]).toBe("app.example:8081");
    expect(seen.host).toBe("app.example:8081");
  });

  it("keeps a sane incoming X-Request-Id and replaces an unsafe one", async () => {
    const { url } = await proxyFor();
    const kept = await request(url).get("/whoami").set("X-Request-Id", "abc.DEF_12-3").expect(200);
    expect(kept.headers["x-request-id"]).toBe("abc.DEF_12-3");
    expect(kept.body.headers["x-request-id"]).toBe("abc.DEF_12-3");
    const replaced = await request(url).get("/whoami").set("X-Request-Id", "evil value;<script>").expect(200);
    expect(replaced.headers["x-request-id"]).not.toBe("evil value;<script>");
    expect(replaced.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("replaces a client's X-Forwarded-For, Forwarded and X-Real-IP with the peer it saw (A5), and ignores its X-Forwarded-Proto/-Host", async () => {
    const { url } = await proxyFor();
    await expectClientAddressReplaced(url, "127.0.0.1");
    const res = await request(url)
      .get("/whoami")
      .set("X-Forwarded-Proto", "https")
      .set("X-Forwarded-Host", "evil.example")
      .expect(200);
    expect(res.body.headers["x-forwarded-proto"]).toBe("http");
    expect(res.body.headers["x-forwarded-host"]).not.toBe("evil.example");
  });

  it("trusts X-Forwarded-Proto/-Host only when told a trusted proxy is in front", async () => {
    const { url } = await proxyFor({ trustForwarded: true });
    const res = await request(url).get("/whoami").set("X-Forwarded-Proto", "https").expect(200);
    expect(res.body.headers["x-forwarded-proto"]).toBe("https");
  });

  it("behind a trusted hop, the client is the last address that hop wrote; what the client wrote left of it is dropped", async () => {
    const { url } = await proxyFor({ trustForwarded: true });
    const res = await request(url).get("/whoami").set("X-Forwarded-For", "6.6.6.6, 203.0.113.9").expect(200);
    expect(res.body.headers["x-forwarded-for"]).toBe("203.0.113.9");
    const junk = await request(url).get("/whoami").set("X-Forwarded-For", "not-an-address").expect(200);
    expect(junk.body.headers["x-forwarded-for"]).toBe("127.0.0.1");
  });

  it("connects to backends from sourceAddress, the one address backends trust (TRUST_PROXY)", async () => {
    const { url } = await proxyFor({ sourceAddress: "127.0.0.2" });
    await expectClientAddressReplaced(url, "127.0.0.2");
  });

  it("removes hop-by-hop headers, including those named in Connection", async () => {
    const { url } = await proxyFor();
    const res = await request(url)
      .get("/whoami")
      .set("Connection", "keep-alive, X-Secret-Hop")
      .set("X-Secret-Hop", "1")
      .set("Keep-Alive", "timeout=5")
      .set("Proxy-Authorization", "Basic Zm9vOmJhcg==")
      .set("TE", "trailers")
      .set("X-Kept", "yes")
      .expect(200);
    const seen = res.body.headers as Record<string, string>;
    for (const name of ["x-secret-hop", "keep-alive", "proxy-authorization", "te"]) expect(seen[name]).toBeUndefined();
    expect(seen["x-kept"]).toBe("yes");
  });

  it("streams request and response bodies both ways", async () => {
    const { url } = await proxyFor();
    const payload = "x".repeat(256 * 1024);
    const res = await request(url).post("/echo").set("Content-Type", "text/plain").send(payload).expect(200);
    expect(res.text.length).toBe(payload.length);
    expect(res.headers["x-instance-id"]).toMatch(/^s[123]$/);
  });
});

describe("round-robin", () => {
  it("spreads N·k requests over N backends within ±1", async () => {
    const { url } = await proxyFor({ strategy: "round-robin" });
    const counts = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const res = await request(url).get("/whoami").expect(200);
      const id = String(res.headers["x-instance-id"]);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(counts.size).toBe(3);
    for (const count of counts.values()) expect(Math.abs(count - 10)).toBeLessThanOrEqual(1);
  });
});

describe("sticky-cookie", () => {
  it("pins a client with an HttpOnly SameSite=Lax cookie and strips it before the backend", async () => {
    const { url } = await proxyFor({ strategy: "sticky-cookie" });
    const first = await request(url).get("/whoami").expect(200);
    const pinned = pinOf(first.headers["set-cookie"]);
    expect(pinned).toBe(first.headers["x-instance-id"]);
    expect(String(first.headers["set-cookie"])).toMatch(/HttpOnly; SameSite=Lax/);
    expect(first.headers["cache-control"]).toMatch(/private/);
    for (let i = 0; i < 6; i++) {
      const res = await request(url).get("/whoami").set("Cookie", `a=1; SL_BACKEND=${pinned}; b=2`).expect(200);
      expect(res.headers["x-instance-id"]).toBe(pinned);
      expect(pinOf(res.headers["set-cookie"])).toBeUndefined(); // `indirect`: no cookie when already right
      expect(res.body.headers.cookie).toBe("a=1; b=2");
    }
  });

  it("re-pins to a live backend when the pinned one dies", async () => {
    const extra = [await startTestBackend("d1"), await startTestBackend("d2")];
    try {
      const { url, proxy } = await proxyFor({ strategy: "sticky-cookie" }, extra);
      await extra[0]?.kill();
      const res = await request(url).get("/whoami").set("Cookie", "SL_BACKEND=d1").expect(200);
      expect(res.headers["x-instance-id"]).toBe("d2");
      expect(pinOf(res.headers["set-cookie"])).toBe("d2");
      expect(proxy.backends().find((backend) => backend.id === "d1")?.health).toBe("down");
      const again = await request(url).get("/whoami").set("Cookie", "SL_BACKEND=d2").expect(200);
      expect(again.headers["x-instance-id"]).toBe("d2");
    } finally {
      await Promise.all(extra.map((backend) => backend.kill()));
    }
  });

  it("re-pins away from a drained backend", async () => {
    const { url, proxy } = await proxyFor({ strategy: "sticky-cookie" });
    proxy.drain("s1");
    const res = await request(url).get("/whoami").set("Cookie", "SL_BACKEND=s1").expect(200);
    expect(res.headers["x-instance-id"]).not.toBe("s1");
    expect(pinOf(res.headers["set-cookie"])).toBe(res.headers["x-instance-id"]);
  });
});

describe("least-connections", () => {
  it("sends new requests to the idle backend while another is busy", async () => {
    const pair = [await startTestBackend("l1"), await startTestBackend("l2")];
    try {
      const { url } = await proxyFor({ strategy: "least-connections" }, pair);
      const held = [request(url).get("/hold"), request(url).get("/hold")].map((test) => test.then((res) => res));
      await waitFor(() => (pair[0]?.held() ?? 0) + (pair[1]?.held() ?? 0) === 2, 10_000, "two parked requests");
      const busy = pair.find((backend) => backend.held() === 2);
      // Each backend holds one, or one holds both: either way the next pick is the least loaded.
      const idle = pair.find((backend) => backend.held() === 0);
      const res = await request(url).get("/whoami").expect(200);
      if (busy && idle) expect(res.headers["x-instance-id"]).toBe(idle.id);
      // Park one more on each: now l1 and l2 tie; a third goes to whichever has fewer.
      for (const backend of pair) backend.release();
      await Promise.all(held);
      const first = request(url)
        .get("/hold")
        .then((r) => r);
      await waitFor(() => (pair[0]?.held() ?? 0) + (pair[1]?.held() ?? 0) === 1, 10_000, "one parked request");
      const loaded = pair.find((backend) => backend.held() === 1);
      for (let i = 0; i < 4; i++) {
        const next = await request(url).get("/whoami").expect(200);
        expect(next.headers["x-instance-id"]).not.toBe(loaded?.id);
      }
      for (const backend of pair) backend.release();
      await first;
    } finally {
      await Promise.all(pair.map((backend) => backend.kill()));
    }
  });
});

describe("source-hash", () => {
  it("sends one client to one backend", async () => {
    const { url } = await proxyFor({ strategy: "source-hash" });
    const first = await request(url).get("/whoami").expect(200);
    for (let i = 0; i < 5; i++) {
      const res = await request(url).get("/whoami").expect(200);
      expect(res.headers["x-instance-id"]).toBe(first.headers["x-instance-id"]);
    }
  });
});

describe("failures", () => {
  it("answers 503 no_healthy_backend as JSON when every backend is out", async () => {
    const { url, proxy } = await proxyFor();
    for (const id of ["s1", "s2", "s3"]) proxy.drain(id);
    const res = await request(url).get("/whoami").expect(503);
    expect(res.body).toEqual({ error: { code: "no_healthy_backend", message: expect.any(String) } });
    expect(res.headers["x-request-id"]).toBeDefined();
  });

  it("answers 504 upstream_timeout when the backend is too slow", async () => {
    const lone = await startTestBackend("t1");
    try {
      const { url } = await proxyFor({ upstreamTimeoutMs: 200 }, [lone]);
      const res = await request(url).get("/hold").expect(504);
      expect(res.body.error.code).toBe("upstream_timeout");
    } finally {
      await lone.kill();
    }
  });

  it("retries an idempotent request once on another backend when the connection is refused", async () => {
    const pair = [await startTestBackend("r1"), await startTestBackend("r2")];
    try {
      const { url, proxy } = await proxyFor(
        { strategy: "round-robin", healthIntervalMs: 60_000, healthFall: 50 },
        pair,
      );
      await pair[0]?.kill();
      for (let i = 0; i < 4; i++) {
        const res = await request(url).get("/whoami").expect(200);
        expect(res.headers["x-instance-id"]).toBe("r2");
      }
      expect(proxy.backends().find((backend) => backend.id === "r1")?.health).toBe("down");
      expect(await proxy.metricsText()).toMatch(/statelab_proxy_retries_total 1/);
    } finally {
      await Promise.all(pair.map((backend) => backend.kill()));
    }
  });

  it("does not replay a POST with a body: 502 bad_gateway instead", async () => {
    const pair = [await startTestBackend("p1"), await startTestBackend("p2")];
    try {
      const { url } = await proxyFor({ strategy: "sticky-cookie", healthIntervalMs: 60_000, healthFall: 50 }, pair);
      await pair[0]?.kill();
      const res = await request(url).post("/echo").set("Cookie", "SL_BACKEND=p1").send({ a: 1 }).expect(502);
      expect(res.body.error.code).toBe("bad_gateway");
    } finally {
      await Promise.all(pair.map((backend) => backend.kill()));
    }
  });

  it("survives a backend that resets the connection mid-response", async () => {
    const { url } = await proxyFor({ strategy: "round-robin" });
    for (let i = 0; i < 3; i++) {
      await expect(request(url).get("/reset")).rejects.toThrow();
    }
    const res = await request(url).get("/whoami").expect(200);
    expect(res.headers["x-instance-id"]).toMatch(/^s[123]$/);
  });

  it("after a backend is killed under load and ejected, no request fails", async () => {
    const trio = await Promise.all(["k1", "k2", "k3"].map((id) => startTestBackend(id)));
    try {
      const { url, proxy } = await proxyFor({ strategy: "round-robin", healthIntervalMs: 50 }, trio);
      const statuses: number[] = [];
      let isLoading = true;
      const deadline = Date.now() + 15_000;
      const worker = async () => {
        for (let i = 0; i < 400 && isLoading && Date.now() < deadline; i++) {
          const res = await request(url).get("/whoami");
          statuses.push(res.status);
        }
      };
      const load = Promise.all([worker(), worker(), worker(), worker()]);
      await waitFor(() => statuses.length >= 40, 10_000, "load to start");
      await trio[1]?.kill();
      await waitFor(
        () => proxy.backends().find((backend) => backend.id === "k2")?.health === "down",
        10_000,
        "k2 ejected",
      );
      const afterEjection = statuses.length;
      await waitFor(() => statuses.length >= afterEjection + 100, 10_000, "100 more requests");
      isLoading = false;
      await load;
      const failuresAfter = statuses.slice(afterEjection).filter((status) => status >= 500);
      expect(failuresAfter).toEqual([]);
    } finally {
      await Promise.all(trio.map((backend) => backend.kill()));
    }
  });
});

describe("the instances' operator endpoints on the public side (H5)", () => {
  it("/metrics and /lease → the proxy's own 404, in any spelling express would route; no backend sees them", async () => {
    const { url } = await proxyFor();
    await expectOperatorPathsUnrouted(url, backends);
  });

  it("/readyz is the proxy's own readiness, without the instances' dependency detail", async () => {
    const { url } = await proxyFor();
    for (const path of ["/readyz", "/READYZ/", "/readyz?verbose=1"]) {
      const res = await request(url).get(path).expect(200);
      expect(res.body, path).toEqual({ status: "ready" });
      expect(res.headers["cache-control"]).toBe("no-store");
    }
    for (const backend of backends) running.at(-1)?.proxy.drain(backend.id);
    const down = await request(url).get("/readyz").expect(503);
    expect(down.body.error.code).toBe("no_healthy_backend");
  });
});
