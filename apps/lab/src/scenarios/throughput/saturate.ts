import autocannon from "autocannon";
import type { LatencySummary, OutcomeCounts } from "../../compare/results.js";
import { latency, runLoad } from "../../load/index.js";
import type { LabUser } from "../../stack/users.js";

export interface Saturation {
  /** Mean requests per second over the run (2xx only count as served). */
  rps: number;
  p50: number;
  p99: number;
  /** Non-2xx answers plus connection errors and timeouts. */
  errors: number;
  total: number;
}

/**
 * Closed-loop throughput at saturation (autocannon): `connections` clients each
 * send as soon as the last answer came, cycling through `users`' credentials so
 * sticky routing spreads them. For rps only: at saturation queues grow, so the
 * latency that matters is measured at a fixed rate (`fixedRateLatency`).
 */
export async function saturate(
  url: string,
  users: readonly LabUser[],
  options: { connections: number; seconds: number },
): Promise<Saturation> {
  let next = 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 5,
    requests: [
      {
        method: "GET",
        setupRequest: (req) => {
          const user = users[next++ % Math.max(1, users.length)];
          return user ? { ...req, headers: { ...req.headers, ...user.headers() } } : req;
        },
      },
    ],
  });
  const served = result.requests.total - result.non2xx;
  return {
    rps: (served / Math.max(1, result.duration)) | 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total + result.errors,
  };
}

/** Latency at a fixed rate below saturation (open loop: stalls are not hidden). */
export async function fixedRateLatency(
  url: string,
  path: string,
  users: readonly LabUser[],
  options: { rate: number; seconds: number },
): Promise<{ latency: LatencySummary; outcomes: OutcomeCounts }> {
  const run = await runLoad({
    baseUrl: url,
    rate: options.rate,
    durationMs: options.seconds * 1000,
    next: (i) => ({ path, headers: users[i % Math.max(1, users.length)]?.headers() ?? {} }),
  });
  const outcomes = { ok: 0, fail: 0, unknown: 0 };
  for (const op of run.ops) outcomes[op.outcome]++;
  const summary = latency(run.ops);
  const tenth = (ms: number) => Math.round(ms * 10) / 10;
  return {
    latency: {
      ...summary,
      p50: tenth(summary.p50),
      p90: tenth(summary.p90),
      p99: tenth(summary.p99),
      max: tenth(summary.max),
    },
    outcomes,
  };
}
