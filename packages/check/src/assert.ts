import type { Response } from "supertest";
import type { ErrorName, Mapping } from "./mapping.js";

/** A check's verdict: the message is the reason printed in the report. */
export class CheckFailure extends Error {
  override readonly name = "CheckFailure";
}

export function fail(reason: string): never {
  throw new CheckFailure(reason);
}

export function ensure(condition: unknown, reason: string): asserts condition {
  if (!condition) fail(reason);
}

/** `error.code` of a `{"error":{"code","message"}}` body, if it has that shape. */
export function errorCodeOf(res: Response): string | undefined {
  const code = (res.body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === "string" ? code : undefined;
}

/** "401 token_invalid" or "200 {…}", short enough for one report line. */
export function describe(res: Response): string {
  const code = errorCodeOf(res);
  if (code) return `${res.status} ${code}`;
  const text = typeof res.text === "string" ? res.text.replace(/\s+/g, " ").slice(0, 80) : "";
  return text ? `${res.status} ${text}` : String(res.status);
}

/** The status must be one of `expected`; `what` names the request in the reason. */
export function expectStatus(res: Response, expected: number | readonly number[], what: string): void {
  const allowed = typeof expected === "number" ? [expected] : expected;
  ensure(allowed.includes(res.status), `${what}: expected ${allowed.join(" or ")}, got ${describe(res)}`);
}

/** The status and the documented error code, in the documented `{"error":{"code","message"}}` shape. */
export function expectError(mapping: Mapping, res: Response, status: number, name: ErrorName, what: string): void {
  const code = mapping.codes[name];
  ensure(
    res.status === status && errorCodeOf(res) === code,
    `${what}: expected ${status} ${code}, got ${describe(res)}`,
  );
  const message = (res.body as { error?: { message?: unknown } }).error?.message;
  ensure(typeof message === "string", `${what}: the error body has no error.message string`);
}

/** Any 4xx: the server refused the input and did not break (5xx) or accept it (2xx). */
export function expect4xx(res: Response, what: string): void {
  ensure(res.status >= 400 && res.status < 500, `${what}: expected a 4xx, got ${describe(res)}`);
  ensure(!/\bat .+:\d+:\d+\)?/.test(res.text ?? ""), `${what}: the response carries a stack trace`);
}

/** A positive control: the honest request must work, or the check proves nothing. */
export function expectWorks(res: Response, status: number, what: string): void {
  ensure(res.status === status, `control failed — ${what}: expected ${status}, got ${describe(res)}`);
}
