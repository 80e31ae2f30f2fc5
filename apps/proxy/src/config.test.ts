import { describe, expect, it } from "vitest";
import { parseBackendList } from "./backend-list.js";
import { loadConfig, parseFlags } from "./config.js";
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

describe("the admin listener and the source address", () => {
  it("PROXY_ADMIN_HOST must be loopback: the admin API has no authentication (H6)", () => {
    for (const host of ["127.0.0.1", "127.0.0.9", "::1", "localhost"])
      expect(loadConfig({ PROXY_ADMIN_HOST: host }).adminHost).toBe(host);
    for (const host of ["0.0.0.0", "10.0.0.1", "::", "example.com"])
      expect(() => loadConfig({ PROXY_ADMIN_HOST: host })).toThrow(/PROXY_ADMIN_HOST must be a loopback address/);
  });

  it("PROXY_SOURCE_ADDRESS is an IP address or unset", () => {
    expect(loadConfig({}).sourceAddress).toBeUndefined();
    expect(loadConfig({ PROXY_SOURCE_ADDRESS: "127.0.0.2" }).sourceAddress).toBe("127.0.0.2");
    expect(() => loadConfig({ PROXY_SOURCE_ADDRESS: "proxy.local" })).toThrow(/PROXY_SOURCE_ADDRESS/);
  });
});

describe("LOG_LEVEL", () => {
  it("defaults to info, takes any pino level, and names a bad one", () => {
    expect(loadConfig({}).logLevel).toBe("info");
    expect(loadConfig({ LOG_LEVEL: "warn" }).logLevel).toBe("warn");
    expect(loadConfig({ LOG_LEVEL: "silent" }).logLevel).toBe("silent");
    expect(() => loadConfig({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL must be one of/);
  });
});

describe("command-line flags (parseFlags → loadConfig)", () => {
  it("--strategy, --port and --backends override their env vars; the rest still comes from env", () => {
    const flags = parseFlags(["--strategy", "source-hash", "--port=7101", "--backends", "f=http://127.0.0.1:5101"]);
    const config = loadConfig(
      {
        PROXY_STRATEGY: "round-robin",
        PROXY_PORT: "7001",
        PROXY_BACKENDS: "e=http://127.0.0.1:5001",
        PROXY_ADMIN_PORT: "7002",
      },
      flags,
    );
    expect(config).toMatchObject({ strategy: "source-hash", port: 7101, adminPort: 7002 });
    expect(config.backends.map((backend) => backend.id)).toEqual(["f"]);
  });

  it("no flags → env as before", () => {
    expect(loadConfig({ PROXY_STRATEGY: "least-connections" }, parseFlags([])).strategy).toBe("least-connections");
  });

  it.each([[["--nope"]], [["--strategy"]], [["stray"]]])("parseFlags(%j) → a usage error", (argv) => {
    const error = (() => {
      try {
        parseFlags(argv);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ProxyConfigError);
    expect((error as ProxyConfigError).isUsage).toBe(true);
  });

  it("a bad flag value is a usage error named by the flag; a bad env value is not a usage error", () => {
    const fromFlags = (() => {
      try {
        loadConfig({ PROXY_HEALTH_RISE: "0" }, { strategy: "random", port: "x", backends: "" });
      } catch (e) {
        return e as ProxyConfigError;
      }
    })();
    expect(fromFlags?.isUsage).toBe(true);
    expect(fromFlags?.message).toMatch(/--strategy must be one of/);
    expect(fromFlags?.message).toMatch(/--port must be an integer/);
    expect(fromFlags?.message).toMatch(/--backends needs a value/);
    expect(fromFlags?.message).toMatch(/PROXY_HEALTH_RISE/);
    const fromEnv = (() => {
      try {
        loadConfig({ PROXY_STRATEGY: "random" });
      } catch (e) {
        return e as ProxyConfigError;
      }
    })();
    expect(fromEnv?.isUsage).toBe(false);
    expect(fromEnv?.message).toMatch(/PROXY_STRATEGY must be one of/);
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
