import type { BackendSet } from "./backend-set.js";

export interface HealthCheckOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly path: string;
}

export interface HealthChecks {
  /** Runs one round now (tests and startup use it instead of waiting an interval). */
  checkNow(): Promise<void>;
  stop(): void;
}

/** Active checks: GET `path` on every backend each interval; 2xx counts as up. */
export function startHealthChecks(set: BackendSet, options: HealthCheckOptions): HealthChecks {
  let timer: NodeJS.Timeout | undefined;
  let isStopped = false;
  let round: Promise<void> | undefined;

  async function checkOne(backend: (typeof set.all)[number]): Promise<void> {
    try {
      const response = await backend.pool.request({
        path: options.path,
        method: "GET",
        headers: { "user-agent": "statelab-proxy-health" },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      await response.body.dump();
      if (isStopped) return;
      const isOk = response.statusCode >= 200 && response.statusCode < 300;
      set.recordCheck(backend, isOk, isOk ? undefined : `health check answered ${response.statusCode}`);
    } catch (error) {
      if (isStopped) return;
      set.recordCheck(backend, false, `health check failed: ${describe(error)}`);
    }
  }

  function runRound(): Promise<void> {
    // A slow round is never overlapped by the next one: one check per backend at a time.
    round ??= Promise.all(set.all.map(checkOne)).then(() => {
      round = undefined;
    });
    return round;
  }

  function schedule(): void {
    if (isStopped) return;
    timer = setTimeout(() => {
      void runRound().then(schedule);
    }, options.intervalMs);
    timer.unref();
  }

  void runRound().then(schedule);
  return {
    checkNow: runRound,
    stop() {
      isStopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
