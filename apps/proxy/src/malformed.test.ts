import { connect } from "node:net";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenProxy, type RunningProxy } from "./testing/listen.js";
import { startTestBackend, type TestBackend } from "./testing/test-backend.js";

let backend: TestBackend;
let running: RunningProxy;

/** Sends raw bytes and collects everything until the server closes or 5 s pass. */
function raw(text: string): Promise<string> {
  const { port } = new URL(running.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    let received = "";
    socket.setTimeout(5_000, () => socket.end());
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    socket.on("close", () => resolve(received));
    socket.on("error", reject);
    socket.end(text);
  });
}

function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
}

function codeOf(response: string): string | undefined {
  const body = response.slice(response.indexOf("\r\n\r\n") + 4);
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  backend = await startTestBackend("m1");
  running = await listenProxy({ backends: [{ id: "m1", url: backend.origin }] });
});
afterAll(async () => {
  await running.stop();
  await backend.kill();
});

describe("malformed requests are rejected cleanly with JSON", () => {
  it("Content-Length together with Transfer-Encoding → 400 bad_request", async () => {
    const response = await raw(
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    expect(statusOf(response)).toBe(400);
    expect(codeOf(response)).toBe("bad_request");
  });

  it("two different Content-Length values → 400 bad_request", async () => {
    const response = await raw("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
    expect(statusOf(response)).toBe(400);
    expect(codeOf(response)).toBe("bad_request");
  });

  it("an absurdly large header → 431 header_too_large", async () => {
    const response = await raw(`GET /whoami HTTP/1.1\r\nHost: a\r\nCookie: ${"x".repeat(20_000)}\r\n\r\n`);
    expect(statusOf(response)).toBe(431);
    expect(codeOf(response)).toBe("header_too_large");
  });

  it("a Host with illegal characters → 400 bad_request", async () => {
    const response = await raw("GET /whoami HTTP/1.1\r\nHost: bad host!<x>\r\nConnection: close\r\n\r\n");
    expect(statusOf(response)).toBe(400);
    expect(codeOf(response)).toBe("bad_request");
  });

  it("two Host headers → 400 bad_request", async () => {
    const response = await raw("GET /whoami HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n");
    expect(statusOf(response)).toBe(400);
    expect(codeOf(response)).toBe("bad_request");
  });

  it("HTTP/1.1 without Host → 400 bad_request", async () => {
    const response = await raw("GET /whoami HTTP/1.1\r\nConnection: close\r\n\r\n");
    expect(statusOf(response)).toBe(400);
    expect(codeOf(response)).toBe("bad_request");
  });

  it("an absolute-form target → 400 bad_request, never an open proxy", async () => {
    const response = await raw("GET http://169.254.169.254/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    expect(statusOf(response)).toBe(400);
    expect(codeOf(response)).toBe("bad_request");
  });

  it("garbage instead of HTTP → 400 bad_request", async () => {
    const response = await raw("\u0001\u0002 not http at all\r\n\r\n");
    expect(statusOf(response)).toBe(400);
  });

  it("the proxy keeps serving after all of the above", async () => {
    const res = await request(running.url).get("/whoami").expect(200);
    expect(res.headers["x-instance-id"]).toBe("m1");
  });
});
