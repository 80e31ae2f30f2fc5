import { Router } from "express";
import type { ErrorCode } from "./errors.js";

/** A readiness check resolves when its dependency answers and rejects otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

function withTimeout(check: ReadinessCheck, timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  // A check that throws instead of rejecting is a failed check too, and the race must
  // still run, or the timer's rejection goes unhandled (which ends the process).
  const answer = new Promise((resolve) => resolve(check()));
  return Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
}

/**
 * /healthz: the process is alive (the proxy's health check).
 * /readyz: every dependency answers within the timeout, else 503 naming which failed.
 */
export function healthRoutes(checks: Record<string, ReadinessCheck>, timeoutMs = 1000): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    const names = Object.keys(checks);
    const results = await Promise.allSettled(
      names.map((name) => withTimeout(checks[name] as ReadinessCheck, timeoutMs)),
    );
    const report: Record<string, string> = {};
    results.forEach((result, i) => {
      report[names[i] as string] =
        result.status === "fulfilled"
          ? "ok"
          : `down: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`;
    });
    const failed = names.filter((name) => report[name] !== "ok");
    if (failed.length === 0) {
      res.json({ status: "ready", checks: report });
      return;
    }
    // Written here rather than thrown: the body carries `checks` beside the error, which the
    // error handler's one shape has no place for. The code is still one of ErrorCode's.
    const code = "not_ready" satisfies ErrorCode;
    res
      .status(503)
      .set("Retry-After", "1")
      .json({ error: { code, message: `not ready: ${failed.join(", ")}` }, checks: report });
  });
  return router;
}
