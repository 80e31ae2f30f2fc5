import { describe, expect, it } from "vitest";
import { loadInfraConfig } from "./config.js";

describe("loadInfraConfig", () => {
  it("uses the documented defaults", () => {
    const config = loadInfraConfig({});
    expect(config.pgPort).toBe(54329);
    expect(config.redisPort).toBe(63799);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("names every bad variable in one error", () => {
    expect(() => loadInfraConfig({ PG_PORT: "70000", REDIS_PORT: "x", DATABASE_URL: "mysql://h/db" })).toThrow(
      /PG_PORT.*REDIS_PORT.*DATABASE_URL/,
    );
  });
});
