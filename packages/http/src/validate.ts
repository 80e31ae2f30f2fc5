import type { Request } from "express";
import type { z } from "zod";
import { ValidationError } from "./errors.js";

/**
 * Parses a request body with a schema. Schemas should be strict objects, so
 * unknown keys (`__proto__`, `constructor`) are refused instead of copied.
 * The error lists field paths and reasons, never the submitted values.
 */
export function parseBody<T extends z.ZodType>(schema: T, req: Request): z.output<T> {
  if (req.body === undefined) throw new ValidationError("a JSON body is required");
  return parseInput(schema, req.body, "body");
}

export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what = "input"): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || what,
    message: issue.message,
  }));
  throw new ValidationError(`invalid ${what}: ${fields.map((f) => `${f.path}: ${f.message}`).join("; ")}`, { fields });
}
