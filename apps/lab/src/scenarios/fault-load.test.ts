import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Op } from "../load/index.js";
import type { Outcome } from "../results.js";
import type { Stack } from "../topology.js";
import { LabUser } from "../users.js";
import {
  busiestInstance,
  describeErrors,
  firstCleanSecondAfter,
  type LiveTarget,
  runFaultLoad,
  summarizeFault,
  timelineCharts,
  windowLatency,
} from "./fault-load.js";

let nextI = 0;
function op(t: number, outcome: Outcome, extra: Partial<Op> = {}): Op {
  const status = outcome === "ok" ? 200 : outcome === "fail" ? 503 : 0;
  return { i: nextI++, t, latencyMs: 10, status, outcome, instance: "a-1", code: null, ...extra };
}

describe("summarizeFault", () => {
  const ops = [
    op(100, "ok"),
    op(900, "fail", { code: "store_unavailable" }),
    op(1000, "ok"),
    op(1200, "fail", { code: "store_unavailable" }),
    op(1800, "unknown", { status: 0, code: "timeout", latencyMs: 4000 }),
    op(1900, "ok"),
    op(2000, "ok"),
    op(2500, "fail", { status: 401, code: "session_expired" }),
    op(2600, "ok"),
  ];
  const summary = summarizeFault(ops, { faultMs: 1000, healMs: 2000 });

  it("splits the ops at the fault and the heal: before [0, fault), during [fault, heal), after [heal, end]", () => {
    expect(summary.counts).toEqual({ ok: 5, fail: 3, unknown: 1 });
    expect(summary.before.counts).toEqual({ ok: 1, fail: 1, unknown: 0 });
    expect(summary.during.counts).toEqual({ ok: 2, fail: 1, unknown: 1 });
    expect(summary.after.counts).toEqual({ ok: 2, fail: 1, unknown: 0 });
  });

  it("times errors from the fault within the fault only, and from the heal to the end", () => {
    // The failure at 900 ms was scheduled before the fault and is not counted as the fault's.
    expect(summary.firstErrorDuringFaultMs).toBe(200);
    expect(summary.lastErrorDuringFaultMs).toBe(800);
    expect(summary.lastErrorAfterHealMs).toBe(500);
  });

  it("counts errors by status and code", () => {
    expect(summary.errors).toEqual({
      "503 store_unavailable": 2,
      "no answer timeout": 1,
      "401 session_expired": 1,
    });
    expect(describeErrors(summary.errors)).toBe(
      "503 store_unavailable × 2, no answer timeout × 1, 401 session_expired × 1",
    );
    expect(describeErrors({})).toBe("none");
  });

  it("no errors → nulls, not zeros", () => {
    const clean = summarizeFault([op(0, "ok"), op(1500, "ok")], { faultMs: 1000, healMs: 2000 });
    expect([clean.firstErrorDuringFaultMs, clean.lastErrorDuringFaultMs, clean.lastErrorAfterHealMs]).toEqual([
      null,
      null,
      null,
    ]);
  });

  it("1 s timeline buckets by intended send time", () => {
    expect(summary.timeline.map((b) => [b.t, b.ok, b.fail, b.unknown])).toEqual([
      [0, 1, 1, 0],
      [1, 2, 1, 1],
      [2, 2, 1, 0],
    ]);
  });
});

describe("firstCleanSecondAfter", () => {
  it("the first whole second starting at or after the time with no error; null when none", () => {
    const buckets = [0, 1, 2, 3].map((t) => ({ t, ok: 1, fail: t === 2 ? 1 : 0, unknown: 0, rps: 1, p99: 1 }));
    expect(firstCleanSecondAfter(buckets, 1500)).toBe(1500);
    expect(firstCleanSecondAfter(buckets, 1000)).toBe(0);
    expect(firstCleanSecondAfter(buckets, 3001)).toBeNull();
  });
});

describe("windowLatency", () => {
  it("counts a timed-out op with the time it waited (a hang must show in p99), not refused or overload ops", () => {
    const ops = [
      ...Array.from({ length: 98 }, (_, k) => op(k, "ok", { latencyMs: 5 })),
      op(98, "unknown", { status: 0, code: "timeout", latencyMs: 5000 }),
      op(99, "fail", { status: 0, code: "ECONNREFUSED", latencyMs: 1 }),
      op(100, "fail", { status: 0, code: "overload", latencyMs: 0 }),
    ];
    expect(windowLatency(ops)).toEqual({ count: 99, p50: 5, p90: 5, p99: 5000, max: 5000 });
    expect(windowLatency([])).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });
});

describe("timelineCharts", () => {
  it("one ok/s and one errors/s line per variant, with the markers given", () => {
    const summary = summarizeFault([op(0, "ok"), op(1000, "fail"), op(1100, "unknown", { status: 0 })], {
      faultMs: 1000,
      healMs: 2000,
    });
    const [ok, errors] = timelineCharts([{ label: "v", summary }], [{ x: 1, label: "kill" }]);
    expect(ok.series).toEqual([
      {
        label: "v",
        // Buckets are drawn at their middle.
        points: [
          [0.5, 1],
          [1.5, 0],
        ],
      },
    ]);
    expect(errors.series[0]?.points).toEqual([
      [0.5, 0],
      [1.5, 2],
    ]);
    expect(ok.markers).toEqual([{ x: 1, label: "kill" }]);
  });
});

describe("busiestInstance", () => {
  const live = (counts: Record<string, number>): LiveTarget => ({
    label: "x",
    stack: { instances: [{ id: "x-1" }, { id: "x-2" }, { id: "x-3" }] } as Stack,
    usersByInstance: () => counts,
  });
  it("the instance most users were last served by; ties and no data go to the second", () => {
    expect(busiestInstance(live({ "x-1": 2, "x-2": 3, "x-3": 7 }))).toBe("x-3");
    expect(busiestInstance(live({ "x-1": 5, "x-2": 3, "x-3": 5 }))).toBe("x-1");
    expect(busiestInstance(live({ "x-1": 4, "x-2": 4, "x-3": 4 }))).toBe("x-2");
    expect(busiestInstance(live({}))).toBe("x-2");
  });
});

describe("runFaultLoad against a real HTTP server", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  /** /me answers 401 to the cookie `sid=old` and 200 to any other; /auth/login hands out `sid=new`. */
  async function serve(): Promise<{ url: string; logins: () => number }> {
    let logins = 0;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on("end", () => {
        res.setHeader("x-instance-id", "srv-1");
        if (req.url === "/auth/login") {
          logins++;
          res.setHeader("set-cookie", "sid=new; Path=/");
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ csrfToken: "t" }));
        } else if (req.headers.cookie?.includes("sid=old")) {
          res.statusCode = 401;
          res.end();
        } else {
          res.end("{}");
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, logins: () => logins };
  }

  function userWith(cookie: string): LabUser {
    const user = new LabUser("cookie", `u_${cookie}`, "lab-password-1");
    user.cookies.set("sid", cookie);
    return user;
  }

  it("runs events at their times, and a user answered 401 logs in once and is served again", async () => {
    const server = await serve();
    const stack = { url: server.url, instances: [{ id: "srv-1" }] } as Stack;
    const seen: Array<Record<string, number>> = [];
    const run = await runFaultLoad({
      rate: 50,
      durationMs: 600,
      timeoutMs: 1000,
      targets: [{ label: "t", stack, users: [userWith("old"), userWith("fine")] }],
      events: [
        {
          atMs: 200,
          label: "fault",
          run: async (targets) => void seen.push(targets[0]?.usersByInstance() ?? {}),
        },
      ],
    });
    expect(run.events).toHaveLength(1);
    expect(run.events[0]?.startedMs).toBeGreaterThanOrEqual(195);
    expect(run.events[0]?.startedMs).toBeLessThan(500);
    expect(seen).toEqual([{ "srv-1": 2 }]);
    const relogin = run.targets[0]?.relogin;
    expect(relogin).toMatchObject({ users: 1, succeeded: 1, failed: 0 });
    expect(server.logins()).toBe(1);
    const ops = run.targets[0]?.ops ?? [];
    expect(ops).toHaveLength(30);
    // After the login the user is served: the last ops are all ok.
    expect(ops.slice(-10).every((o) => o.outcome === "ok")).toBe(true);
  });

  it("a failing event stops the load, later events are skipped, and the run rejects with its error", async () => {
    const server = await serve();
    const stack = { url: server.url, instances: [{ id: "srv-1" }] } as Stack;
    let isLaterRun = false;
    const started = Date.now();
    const boom = new Error("kill failed");
    await expect(
      runFaultLoad({
        rate: 20,
        durationMs: 5000,
        timeoutMs: 1000,
        targets: [{ label: "t", stack, users: [userWith("fine")] }],
        events: [
          { atMs: 100, label: "fault", run: () => Promise.reject(boom) },
          {
            atMs: 1000,
            label: "heal",
            run: async () => {
              isLaterRun = true;
            },
          },
        ],
      }),
    ).rejects.toBe(boom);
    expect(Date.now() - started).toBeLessThan(2500);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(isLaterRun).toBe(false);
  });
});
