import { describe, expect, it } from "vitest";
import { parseBackendList } from "./backend-list.js";
import { loadConfig } from "./config.js";
import { ProxyConfigError } from "./errors.js";
import { createProxy } from "./proxy.js";

describe("loadConfig", () => {
  it("defaults to the stateful proxy of DESIGN.md: :8081, sticky-cookie, backends 4101-4103", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ host: "127.0.0.1", port: 8081, adminPort: 9081, strategy: "sticky-cookie" });
    expect(config.backends.map((backend) => backend.origin)).toEqual([
      "http://127.0.0.1:4101",
      "http://127.0.0.1:4102",
      "http://127.0.0.1:4103",
    ]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("PROXY_PRESET=stateless gives :8082 round-robin over 4201-4203", () => {
    const config = loadConfig({ PROXY_PRESET: "stateless" });
    expect(config).toMatchObject({ port: 8082, adminPort: 9082, strategy: "round-robin" });
    expect(config.backends[0]?.origin).toBe("http://127.0.0.1:4201");
  });

  it("reads every variable", () => {
    const config = loadConfig({
      PROXY_PORT: "7001",
      PROXY_ADMIN_PORT: "7002",
      PROXY_BACKENDS: "x=http://127.0.0.1:5001, http://127.0.0.1:5002",
      PROXY_STRATEGY: "least-connections",
      PROXY_HEALTH_INTERVAL_MS: "500",
      PROXY_HEALTH_RISE: "3",
      PROXY_HEALTH_FALL: "4",
      PROXY_UPSTREAM_TIMEOUT_MS: "1500",
      PROXY_TRUST_FORWARDED: "true",
    });
    expect(config).toMatchObject({
      port: 7001,
      adminPort: 7002,
      strategy: "least-connections",
      healthIntervalMs: 500,
      healthRise: 3,
      healthFall: 4,
      upstreamTimeoutMs: 1500,
      trustForwarded: true,
    });
    expect(config.backends.map((backend) => backend.id)).toEqual(["x", "s2"]);
  });

  it("throws one error naming every bad variable", () => {
    let caught: unknown;
    try {
      loadConfig({
        PROXY_PORT: "http",
        PROXY_STRATEGY: "random",
        PROXY_BACKENDS: "ftp://x",
        PROXY_HEALTH_RISE: "0",
        PROXY_TRUST_FORWARDED: "yes",
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProxyConfigError);
    const message = (caught as Error).message;
    for (const name of ["PROXY_PORT", "PROXY_STRATEGY", "PROXY_BACKENDS", "PROXY_HEALTH_RISE", "PROXY_TRUST_FORWARDED"])
      expect(message).toContain(name);
  });
});

describe("parseBackendList", () => {
  it("rejects duplicate ids, unsafe ids, paths and non-http URLs", () => {
    for (const bad of [
      "a=http://127.0.0.1:1,a=http://127.0.0.1:2",
      "a;b=http://127.0.0.1:1",
      "http://127.0.0.1:1/app",
      "https://127.0.0.1:1",
      "http://user:pw@127.0.0.1:1",
      "",
    ])
      expect(() => parseBackendList(bad), bad).toThrow(ProxyConfigError);
  });
});

describe("createProxy", () => {
  it("throws at construction on bad options, naming each", () => {
    expect(() =>
      createProxy({
        backends: [],
        // @ts-expect-error: an unknown strategy must be caught at runtime too (config from JSON, admin)
        strategy: "random",
        healthRise: 0,
        upstreamTimeoutMs: -1,
      }),
    ).toThrow(/at least one backend.*strategy.*upstreamTimeoutMs.*healthRise/);
  });

  it("does not listen", () => {
    const proxy = createProxy({ backends: "http://127.0.0.1:1" });
    expect(proxy.server.listening).toBe(false);
    expect(proxy.admin.listening).toBe(false);
    return proxy.close();
  });
});
