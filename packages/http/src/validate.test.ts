import type { Request } from "express";
import { Router } from "express";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createHttpApp } from "./app.js";
import { ValidationError } from "./errors.js";
import { createLogger } from "./logger.js";
import { parseBody, parseInput } from "./validate.js";

const logger = createLogger({ name: "test", instanceId: "test", level: "silent" });

const profile = z.strictObject({ name: z.string(), settings: z.strictObject({ theme: z.string() }).optional() });

const routes = Router();
routes.post("/profile", (req, res) => {
  const parsed = parseBody(profile, req);
  // What a careless handler might do with validated input: merge it into a fresh object.
  const merged: Record<string, unknown> = Object.assign({}, parsed);
  res.status(201).json({ profile: parsed, isPolluted: (merged as { polluted?: unknown }).polluted !== undefined });
});
const app = createHttpApp({ instanceId: "validate-test", logger, readiness: {}, logRequests: false }, routes);

const isPolluted = () =>
  (({}) as { polluted?: unknown }).polluted !== undefined || (Object.prototype as { polluted?: unknown }).polluted;

afterEach(() => {
  // If a test did pollute, clean up so one failure does not cascade into every later test.
  delete (Object.prototype as { polluted?: unknown }).polluted;
});

describe("prototype pollution (H3)", () => {
  it.each([
    ["__proto__ alone", '{"__proto__":{"polluted":true}}'],
    ["__proto__ beside a valid field", '{"name":"a","__proto__":{"polluted":true}}'],
    ["constructor.prototype", '{"constructor":{"prototype":{"polluted":true}}}'],
    ["constructor.prototype beside a valid field", '{"name":"a","constructor":{"prototype":{"polluted":true}}}'],
    ["__proto__ in a nested object", '{"name":"a","settings":{"theme":"dark","__proto__":{"polluted":true}}}'],
    ["an escaped __proto__ key", '{"name":"a","\\u005f\\u005fproto\\u005f\\u005f":{"polluted":true}}'],
  ])("POST with %s → 400 invalid_request and Object.prototype untouched", async (_what, body) => {
    const res = await request(app).post("/profile").set("Content-Type", "application/json").send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    expect(isPolluted()).toBeFalsy();
  });

  it("a valid body → 201, and merging the parsed value copies no inherited keys", async () => {
    const res = await request(app)
      .post("/profile")
      .set("Content-Type", "application/json")
      .send('{"name":"a","settings":{"theme":"dark"}}');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ profile: { name: "a", settings: { theme: "dark" } }, isPolluted: false });
  });

  it("parseInput on a JSON.parse'd __proto__ payload throws ValidationError and returns nothing", () => {
    const input: unknown = JSON.parse('{"name":"a","__proto__":{"polluted":true}}');
    expect(() => parseInput(profile, input)).toThrow(ValidationError);
    expect(isPolluted()).toBeFalsy();
  });
});

describe("parseBody / parseInput", () => {
  it("an undefined body (Express 5, nothing parsed) → ValidationError 400 invalid_request", () => {
    const attempt = () => parseBody(profile, { body: undefined } as Request);
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(expect.objectContaining({ status: 400, code: "invalid_request" }));
  });

  it("returns the schema's output (defaults and transforms applied)", () => {
    const schema = z.strictObject({ n: z.coerce.number(), tag: z.string().default("none") });
    expect(parseBody(schema, { body: { n: "3" } } as Request)).toEqual({ n: 3, tag: "none" });
  });

  it("the error lists each field path and never the submitted value", () => {
    try {
      parseInput(profile, { name: ["s3cr3t-value"], settings: { theme: 7 } }, "profile");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const { details, message } = error as ValidationError;
      expect(details).toEqual({
        fields: [
          { path: "name", message: expect.any(String) },
          { path: "settings.theme", message: expect.any(String) },
        ],
      });
      expect(message).not.toContain("s3cr3t-value");
    }
  });

  it("a top-level problem is reported under the name of what was parsed", () => {
    try {
      parseInput(profile, [1, 2], "profile");
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).details).toEqual({
        fields: [{ path: "profile", message: expect.any(String) }],
      });
    }
  });
});
