import { describe, expect, it } from "vitest";
import { parseTrafficSettings } from "../dashboard/traffic.js";
import { ControlError, parseDuration, parseFaultRequest } from "./faults.js";

const codeOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return error instanceof ControlError ? `${error.status} ${error.code}` : `not a ControlError: ${error}`;
  }
  return "no error";
};

describe("parseDuration", () => {
  it.each([
    ["5s", 5000],
    ["500ms", 500],
    ["2m", 120_000],
    ["1.5s", 1500],
    ["3", 3000],
    ["60m", 3_600_000],
  ])("%s → %i ms", (raw, ms) => {
    expect(parseDuration(raw)).toBe(ms);
  });

  it.each(["", "soon", "5h", "-5s", "50ms", "61m", "5 s s", "Infinity"])("%j → 400 bad_request", (raw) => {
    expect(codeOf(() => parseDuration(raw))).toBe("400 bad_request");
  });
});

describe("parseFaultRequest", () => {
  it("takes a kill with a duration, a switch with its value, and fills the missing fields with null", () => {
    expect(parseFaultRequest({ kind: "kill", target: "stateful-2", forMs: 5000 })).toEqual({
      kind: "kill",
      target: "stateful-2",
      value: null,
      forMs: 5000,
    });
    expect(parseFaultRequest({ kind: "strategy", target: "stateless", value: "least-connections" })).toEqual({
      kind: "strategy",
      target: "stateless",
      value: "least-connections",
      forMs: null,
    });
  });

  it.each([
    ["not an object", "kill stateful-2"],
    ["an array", ["kill"]],
    ["null", null],
    ["an unknown kind", { kind: "explode", target: "stateful-1" }],
    ["a path as target", { kind: "kill", target: "../etc" }],
    ["an upper-case target", { kind: "kill", target: "Stateful-1" }],
    ["a strategy without its value", { kind: "strategy", target: "stateless" }],
    ["a kill with a value", { kind: "kill", target: "stateful-1", value: "now" }],
    ["a duration on a fault that is already an undo", { kind: "restart", target: "stateful-1", forMs: 1000 }],
    ["a fractional duration", { kind: "kill", target: "stateful-1", forMs: 1000.5 }],
    ["a duration over an hour", { kind: "pause", target: "stateful-1", forMs: 3_600_001 }],
    ["a duration as a string", { kind: "pause", target: "stateful-1", forMs: "5s" }],
    ["a __proto__ value", JSON.parse('{"kind":"store","target":"stateful","value":{"__proto__":{"x":1}}}')],
  ])("%s → 400 bad_request", (_name, input) => {
    expect(codeOf(() => parseFaultRequest(input))).toBe("400 bad_request");
  });
});

describe("parseTrafficSettings", () => {
  it("takes users and seconds within the bounds", () => {
    expect(parseTrafficSettings({ users: 50, seconds: 300 })).toEqual({ users: 50, seconds: 300 });
  });

  it.each([
    { users: 0, seconds: 10 },
    { users: 51, seconds: 10 },
    { users: 5, seconds: 301 },
    { users: 2.5, seconds: 10 },
    { users: "5", seconds: 10 },
    {},
    null,
  ])("%j → 400 bad_request", (input) => {
    expect(codeOf(() => parseTrafficSettings(input))).toBe("400 bad_request");
  });
});
