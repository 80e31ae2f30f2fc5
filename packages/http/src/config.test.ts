import { describe, expect, it } from "vitest";
import { jsonBody } from "./body.js";
import { ConfigError, env, loadConfig } from "./config.js";
import { instanceIdHeader } from "./request-context.js";

const shape = {
  PORT: env.port(4101),
  MODE: env.oneOf(["soft", "hard"], "soft"),
  TTL: env.int(1800, 1),
  FLAG: env.bool(false),
  URL: env.url(["redis:"]).default("redis://127.0.0.1:6379"),
};

describe("loadConfig", () => {
  it("applies defaults, treats empty strings as unset, and freezes the result", () => {
    const config = loadConfig(shape, { PORT: "", FLAG: "yes" });
    expect(config).toEqual({ PORT: 4101, MODE: "soft", TTL: 1800, FLAG: true, URL: "redis://127.0.0.1:6379" });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("throws one ConfigError naming every bad variable", () => {
    const attempt = () =>
      loadConfig(shape, { PORT: "70000", MODE: "medium", TTL: "0", FLAG: "maybe", URL: "http://x" });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT=.*MODE=.*TTL=.*FLAG=.*URL=/);
  });
});

describe("factories check their options", () => {
  it("jsonBody refuses a non-positive limit", () => {
    expect(() => jsonBody({ limitBytes: 0 })).toThrow(TypeError);
  });

  it("instanceIdHeader refuses an id that could not be a header value", () => {
    expect(() => instanceIdHeader("bad id\r\n")).toThrow(TypeError);
  });
});
