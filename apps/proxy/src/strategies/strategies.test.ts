import { describe, expect, it } from "vitest";
import { createStrategy } from "./index.js";
import type { Candidate, PickContext } from "./strategy.js";

const three: Candidate[] = [
  { id: "s1", inFlight: 0 },
  { id: "s2", inFlight: 0 },
  { id: "s3", inFlight: 0 },
];
const anyone: PickContext = { clientIp: "127.0.0.1", pinnedId: undefined };

describe("round-robin", () => {
  it("gives each of N backends exactly k of N·k picks", () => {
    const strategy = createStrategy("round-robin");
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const id = strategy.pick(three, anyone).id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect([...counts.values()]).toEqual([100, 100, 100]);
  });
});

describe("least-connections", () => {
  it("prefers the backend with the fewest in-flight requests", () => {
    const strategy = createStrategy("least-connections");
    const busy = [
      { id: "s1", inFlight: 5 },
      { id: "s2", inFlight: 0 },
      { id: "s3", inFlight: 2 },
    ];
    for (let i = 0; i < 10; i++) expect(strategy.pick(busy, anyone).id).toBe("s2");
  });

  it("rotates among equally idle backends", () => {
    const strategy = createStrategy("least-connections");
    const seen = new Set(Array.from({ length: 6 }, () => strategy.pick(three, anyone).id));
    expect(seen.size).toBe(3);
  });
});

describe("sticky-cookie", () => {
  it("keeps the pinned backend while it is a candidate", () => {
    const strategy = createStrategy("sticky-cookie");
    for (let i = 0; i < 10; i++) expect(strategy.pick(three, { clientIp: "x", pinnedId: "s3" }).id).toBe("s3");
  });

  it("falls back to rotation when the pinned backend is gone or unknown", () => {
    const strategy = createStrategy("sticky-cookie");
    const survivors = three.filter((candidate) => candidate.id !== "s3");
    const picks = Array.from({ length: 4 }, () => strategy.pick(survivors, { clientIp: "x", pinnedId: "s3" }).id);
    expect(new Set(picks)).toEqual(new Set(["s1", "s2"]));
    expect(strategy.pick(three, { clientIp: "x", pinnedId: "../etc" }).id).toMatch(/^s[123]$/);
  });

  it("is the only strategy that pins with a cookie", () => {
    expect(createStrategy("sticky-cookie").pinsWithCookie).toBe(true);
    expect(createStrategy("round-robin").pinsWithCookie).toBe(false);
  });
});

describe("source-hash", () => {
  it("sends one client IP to one backend every time", () => {
    const strategy = createStrategy("source-hash");
    const context = { clientIp: "10.1.2.3", pinnedId: undefined };
    const first = strategy.pick(three, context).id;
    for (let i = 0; i < 20; i++) expect(strategy.pick(three, context).id).toBe(first);
  });

  it("spreads many clients over every backend and moves only the lost backend's clients", () => {
    const strategy = createStrategy("source-hash");
    const ips = Array.from({ length: 300 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const before = new Map(ips.map((ip) => [ip, strategy.pick(three, { clientIp: ip, pinnedId: undefined }).id]));
    const perBackend = new Map<string, number>();
    for (const id of before.values()) perBackend.set(id, (perBackend.get(id) ?? 0) + 1);
    expect(perBackend.size).toBe(3);
    for (const count of perBackend.values()) expect(count).toBeGreaterThan(50);

    const survivors = three.filter((candidate) => candidate.id !== "s2");
    for (const ip of ips) {
      const after = strategy.pick(survivors, { clientIp: ip, pinnedId: undefined }).id;
      if (before.get(ip) !== "s2") expect(after).toBe(before.get(ip));
    }
  });
});
