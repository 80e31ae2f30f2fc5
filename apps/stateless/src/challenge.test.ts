import { describe, expect, it } from "vitest";
import { bearerChallenge } from "./challenge.js";

describe("bearerChallenge (RFC 6750 §3)", () => {
  it("no credential → the realm alone; a bad one → the error and its description", () => {
    expect(bearerChallenge()).toEqual({ "WWW-Authenticate": 'Bearer realm="statelab"' });
    expect(bearerChallenge("invalid_request")).toEqual({
      "WWW-Authenticate": 'Bearer realm="statelab", error="invalid_request"',
    });
    expect(bearerChallenge("invalid_token", "expired")).toEqual({
      "WWW-Authenticate": 'Bearer realm="statelab", error="invalid_token", error_description="expired"',
    });
  });

  it("a description with a quote, a backslash or non-ASCII cannot break out of its quotes", () => {
    const header = bearerChallenge("invalid_token", 'bad "kid" \\ ünïcode\r\nX-Injected: 1')["WWW-Authenticate"];
    expect(header).toBe(
      'Bearer realm="statelab", error="invalid_token", error_description="bad kid  ncodeX-Injected: 1"',
    );
    expect(header.match(/"/g)).toHaveLength(6);
  });
});
