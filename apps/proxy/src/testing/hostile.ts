import { createServer } from "node:net";
import request from "supertest";
import { expect } from "vitest";
import type { TestBackend } from "./test-backend.js";

/** A port nobody listens on right now; HAProxy and nginx need a number up front. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * What every proxy in front of statelab must do with a client's address (A5), asserted the
 * same way for the built-in proxy, HAProxy and nginx: the client's X-Forwarded-For,
 * Forwarded and X-Real-IP never reach the backend; X-Forwarded-For is the peer, alone;
 * the connection comes from `sourceAddress`, the one address the backends trust.
 */
export async function expectClientAddressReplaced(url: string, sourceAddress: string): Promise<void> {
  const res = await request(url)
    .get("/whoami")
    .set("X-Forwarded-For", "203.0.113.9, 198.51.100.3")
    .set("Forwarded", "for=198.51.100.1")
    .set("X-Real-IP", "198.51.100.2")
    .expect(200);
  expect(res.body.headers["x-forwarded-for"]).toBe("127.0.0.1");
  expect(res.body.headers.forwarded).toBeUndefined();
  expect(res.body.headers["x-real-ip"]).toBeUndefined();
  expect(String(res.body.peer).replace(/^::ffff:/, "")).toBe(sourceAddress);
}

/**
 * The instances' /metrics and /lease are answered by the proxy itself with a 404, in
 * every spelling express would route; no backend sees the request (H5).
 */
export async function expectOperatorPathsUnrouted(url: string, backends: readonly TestBackend[]): Promise<void> {
  const hits = () => backends.reduce((sum, backend) => sum + backend.hits(), 0);
  const before = hits();
  for (const path of [
    "/metrics",
    "/lease",
    "/METRICS",
    "/Lease/",
    "//metrics",
    "/%6Detrics",
    "/lease?x=1",
    "/metrics//",
  ]) {
    const res = await request(url).get(path);
    expect(res.status, path).toBe(404);
    expect(res.body.error.code, path).toBe("not_found");
    expect(res.headers["x-instance-id"], path).toBeUndefined();
    expect(res.headers["cache-control"], path).toBe("no-store");
  }
  expect(hits()).toBe(before);
}
