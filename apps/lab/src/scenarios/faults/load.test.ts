import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Stack } from "../../stack/stack.js";
import { LabUser } from "../../stack/users.js";
import { busiestInstance, type LiveTarget, runFaultLoad } from "./load.js";

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
