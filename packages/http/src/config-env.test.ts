import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, env, loadConfig } from "./config.js";

const shape = {
  PORT: env.port(4101),
  HOST: env.string("127.0.0.1"),
  INSTANCE_ID: env.optionalString(),
  SESSION_TTL: env.int(1800, 1, 86_400),
  SESSION_STORE: env.oneOf(["redis", "memory"], "redis"),
  COOKIE_SECURE: env.bool(false),
  LOG_REQUESTS: env.bool(true),
  REDIS_URL: env.url(["redis:", "rediss:"]).default("redis://127.0.0.1:63799"),
};

/** The ConfigError thrown for `source`, or a failure if none was. */
function configErrorFor(source: Record<string, string>): ConfigError {
  try {
    loadConfig(shape, source);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("an empty environment → every default, typed", () => {
    expect(loadConfig(shape, {})).toEqual({
      PORT: 4101,
      HOST: "127.0.0.1",
      INSTANCE_ID: undefined,
      SESSION_TTL: 1800,
      SESSION_STORE: "redis",
      COOKIE_SECURE: false,
      LOG_REQUESTS: true,
      REDIS_URL: "redis://127.0.0.1:63799",
    });
  });

  it("values given → parsed and coerced", () => {
    const config = loadConfig(shape, {
      PORT: "8080",
      HOST: "0.0.0.0",
      INSTANCE_ID: "api-2",
      SESSION_TTL: "60",
      SESSION_STORE: "memory",
      COOKIE_SECURE: "1",
      LOG_REQUESTS: "off",
      REDIS_URL: "rediss://cache.internal:6380/2",
    });
    expect(config).toEqual({
      PORT: 8080,
      HOST: "0.0.0.0",
      INSTANCE_ID: "api-2",
      SESSION_TTL: 60,
      SESSION_STORE: "memory",
      COOKIE_SECURE: true,
      LOG_REQUESTS: false,
      REDIS_URL: "rediss://cache.internal:6380/2",
    });
  });

  it("empty strings count as unset → defaults, not errors", () => {
    const config = loadConfig(shape, {
      PORT: "",
      HOST: "",
      INSTANCE_ID: "",
      SESSION_TTL: "",
      SESSION_STORE: "",
      COOKIE_SECURE: "",
      REDIS_URL: "",
    });
    expect(config).toEqual(loadConfig(shape, {}));
  });

  it("the result is frozen: assigning to it throws", () => {
    const config = loadConfig(shape, {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
    expect(config.PORT).toBe(4101);
  });

  it("several bad variables → one ConfigError naming each of them, and none of the good ones", () => {
    const error = configErrorFor({
      PORT: "70000",
      HOST: "127.0.0.1",
      SESSION_TTL: "0",
      SESSION_STORE: "memcached",
      COOKIE_SECURE: "maybe",
      REDIS_URL: "http://127.0.0.1:6379",
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ConfigError");
    for (const name of ["PORT", "SESSION_TTL", "SESSION_STORE", "COOKIE_SECURE", "REDIS_URL"]) {
      expect(error.message).toContain(`${name}=`);
    }
    expect(error.message).not.toContain("HOST=");
    expect(error.message).not.toContain("LOG_REQUESTS=");
  });

  it("a required variable that is missing (or empty) → ConfigError naming it", () => {
    const required = { DATABASE_URL: env.url(["postgres:"]), PORT: env.port(1) };
    expect(() => loadConfig(required, {})).toThrow(ConfigError);
    expect(() => loadConfig(required, { DATABASE_URL: "" })).toThrow(/DATABASE_URL=/);
    expect(loadConfig(required, { DATABASE_URL: "postgres://u@db/app" }).DATABASE_URL).toBe("postgres://u@db/app");
  });

  it("only the variables in the shape are read; others are ignored", () => {
    const config = loadConfig({ PORT: env.port(1) }, { PORT: "2", PATH: "/usr/bin", SECRET: "x" });
    expect(config).toEqual({ PORT: 2 });
  });

  describe("reading process.env by default", () => {
    const name = `STATELAB_HTTP_TEST_${process.pid}`;
    afterEach(() => {
      delete process.env[name];
    });

    it("reads process.env when no source is given", () => {
      process.env[name] = "memory";
      expect(loadConfig({ [name]: env.oneOf(["redis", "memory"], "redis") })).toEqual({ [name]: "memory" });
    });
  });
});

describe("env builders", () => {
  const load = (schema: z.ZodType, value: string | undefined): unknown =>
    loadConfig({ V: schema }, value === undefined ? {} : { V: value }).V;

  describe("env.bool", () => {
    it.each(["1", "true", "yes", "on"])("%s → true", (value) => {
      expect(load(env.bool(false), value)).toBe(true);
    });

    it.each(["0", "false", "no", "off"])("%s → false", (value) => {
      expect(load(env.bool(true), value)).toBe(false);
    });

    it("unset → the fallback, as a boolean", () => {
      expect(load(env.bool(true), undefined)).toBe(true);
      expect(load(env.bool(false), undefined)).toBe(false);
    });

    it.each(["maybe", "2", "y", "enabled"])("%s → ConfigError", (value) => {
      expect(() => load(env.bool(false), value)).toThrow(ConfigError);
    });
  });

  describe("env.oneOf", () => {
    const mode = () => env.oneOf(["soft", "hard"], "soft");

    it("one of the values → that value", () => {
      expect(load(mode(), "hard")).toBe("hard");
    });

    it("unset → the fallback", () => {
      expect(load(mode(), undefined)).toBe("soft");
    });

    it.each(["medium", "HARD", " hard"])("%s → ConfigError", (value) => {
      expect(() => load(mode(), value)).toThrow(ConfigError);
    });
  });

  describe("env.url", () => {
    const pg = () => env.url(["postgres:", "postgresql:"]);

    it.each(["postgres://u:p@db:5432/app", "postgresql://db/app"])("%s with an allowed protocol → kept", (value) => {
      expect(load(pg(), value)).toBe(value);
    });

    it.each(["http://db/app", "mysql://db/app", "not a url", "db:5432", "//db/app"])("%s → ConfigError", (value) => {
      expect(() => load(pg(), value)).toThrow(ConfigError);
    });
  });

  describe("env.port", () => {
    it.each([
      ["0", 0],
      ["65535", 65535],
      ["4101", 4101],
    ])("%s → %i", (value, port) => {
      expect(load(env.port(1), value)).toBe(port);
    });

    it.each(["-1", "65536", "80.5", "http", "NaN"])("%s → ConfigError", (value) => {
      expect(() => load(env.port(1), value)).toThrow(ConfigError);
    });
  });

  describe("env.int", () => {
    it("inside [min, max] → the number", () => {
      expect(load(env.int(5, 1, 10), "10")).toBe(10);
      expect(load(env.int(5, 1, 10), "1")).toBe(1);
    });

    it.each(["0", "11", "2.5", "ten"])("%s outside [1, 10] or not an integer → ConfigError", (value) => {
      expect(() => load(env.int(5, 1, 10), value)).toThrow(ConfigError);
    });
  });

  describe("env.string / env.optionalString", () => {
    it("unset → the fallback / undefined", () => {
      expect(load(env.string("x"), undefined)).toBe("x");
      expect(load(env.optionalString(), undefined)).toBeUndefined();
    });

    it("a value → kept as is", () => {
      expect(load(env.string("x"), "y")).toBe("y");
      expect(load(env.optionalString(), "z")).toBe("z");
    });
  });
});

describe("loadConfig never prints credentials", () => {
  it("hides the values of URLs and secrets in the error, and still names them", () => {
    const shape = { DATABASE_URL: env.url(["postgres:"]), SESSION_SECRET: z.string().min(32), PORT: env.port(1) };
    const attempt = () =>
      loadConfig(shape, { DATABASE_URL: "mysql://admin:hunter2@db/app", SESSION_SECRET: "short-hunter2", PORT: "x" });
    expect(attempt).toThrow(/DATABASE_URL=\(hidden\).*SESSION_SECRET=\(hidden\).*PORT="x"/);
    expect(attempt).not.toThrow(/hunter2/);
  });
});
