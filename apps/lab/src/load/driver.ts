import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import type { Outcome } from "../compare/results.js";
import { type Exchange, type ExchangeResult, type ResponseHeaders, startExchange } from "./exchange.js";

/** A complete HTTP answer as `RequestSpec.onResponse` sees it (the body capped at 64 KiB). */
export interface LoadResponse {
  status: number;
  headers: ResponseHeaders;
  body: string;
}

/** One request to send; headers and body go out as given (set `content-type` yourself). */
export interface RequestSpec {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Lets a scenario keep per-user cookies up to date, or decide the outcome itself. */
  onResponse?(res: LoadResponse): Outcome | undefined;
}

/** Progress of a run: `sent` ops whose scheduled time has come, `done` ops recorded, `total` ops planned. */
export interface LoadProgress {
  elapsedMs: number;
  sent: number;
  done: number;
  total: number;
}

/** Options of `runLoad`; checked when it starts (a bad value rejects before any request). */
export interface LoadOptions {
  /** An http:// URL on the loopback interface; a path in it prefixes every `RequestSpec.path`. */
  baseUrl: string;
  /** Requests per second, scheduled at fixed intervals whatever the answers do. */
  rate: number;
  /** Scheduling stops here; in-flight requests get at most `timeoutMs` more. */
  durationMs: number;
  /** Default: rate × duration. */
  maxOps?: number;
  /** Per request, counted from its intended send time. Default 2000. */
  timeoutMs?: number;
  /** Keep-alive connections in the pool. Default 32. */
  connections?: number;
  /** Requests scheduled while this many are in flight are recorded as `fail`/`overload`. Default 256. */
  maxInFlight?: number;
  /** The request for op `i`; called once per op that is actually sent. */
  next(i: number): RequestSpec;
  /** Stops scheduling; ops still in flight are recorded as `unknown`/`aborted`. */
  signal?: AbortSignal;
  /** Called about 4 times a second, and once at the end. */
  onProgress?(progress: LoadProgress): void;
  /** Called with each op as it is recorded, for a live view of the run. */
  onOp?(op: Op): void;
}

/** One operation, sent or not: latency is measured from its intended send time `t`. */
export interface Op {
  i: number;
  /** Intended send time, ms since the start of the run. */
  t: number;
  latencyMs: number;
  /** 0 when no complete HTTP answer arrived. */
  status: number;
  outcome: Outcome;
  /** The X-Instance-Id response header. */
  instance: string | null;
  /** The JSON `error.code` of a non-2xx body, or `ECONNREFUSED`, `timeout`, `overload`, `aborted`… */
  code: string | null;
}

/** What `runLoad` recorded: every scheduled op, ordered by `i`. */
export interface LoadRun {
  /** Date.now() at the start. */
  startedAt: number;
  /** Wall time from the start until the last op was recorded. */
  durationMs: number;
  ops: Op[];
}

interface LoadPlan {
  origin: string;
  pathPrefix: string;
  intervalMs: number;
  total: number;
  timeoutMs: number;
  connections: number;
  maxInFlight: number;
}

const PROGRESS_INTERVAL_MS = 250;

/**
 * Open-loop, fixed-rate load: op i is due at i / rate whether or not earlier ones have
 * answered, so a stall shows up in the latency of everything scheduled behind it
 * (no coordinated omission). Never rejects because of a request; rejects on bad options
 * or when a callback (`next`, `onResponse`, `onProgress`) throws.
 */
export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const plan = planLoad(options);
  const pool = new Pool(plan.origin, {
    connections: plan.connections,
    headersTimeout: plan.timeoutMs,
    bodyTimeout: plan.timeoutMs,
    connect: { timeout: plan.timeoutMs },
  });
  const startedAt = Date.now();
  const runner = new Runner(plan, pool, options);
  try {
    await runner.run();
  } finally {
    // Every op is recorded by now; whatever is left in the pool is not worth waiting for.
    await pool.destroy();
  }
  return { startedAt, durationMs: round(runner.elapsedMs()), ops: runner.ops.sort((a, b) => a.i - b.i) };
}

function planLoad(options: LoadOptions): LoadPlan {
  const { rate, durationMs } = options;
  if (!(Number.isFinite(rate) && rate > 0)) throw new RangeError(`runLoad: rate must be > 0, got ${rate}`);
  if (!(Number.isFinite(durationMs) && durationMs > 0)) {
    throw new RangeError(`runLoad: durationMs must be > 0, got ${durationMs}`);
  }
  const intervalMs = 1000 / rate;
  const scheduled = opsBefore(durationMs, intervalMs);
  const url = parseLoopbackUrl(options.baseUrl);
  return {
    origin: url.origin,
    pathPrefix: url.pathname.replace(/\/+$/, ""),
    intervalMs,
    total: Math.min(scheduled, positiveInteger("maxOps", options.maxOps ?? scheduled, 0)),
    timeoutMs: positiveInteger("timeoutMs", options.timeoutMs ?? 2000, 1),
    connections: positiveInteger("connections", options.connections ?? 32, 1),
    maxInFlight: positiveInteger("maxInFlight", options.maxInFlight ?? 256, 1),
  };
}

/** How many i satisfy i × intervalMs < durationMs (float-safe, so the last op is never at durationMs). */
function opsBefore(durationMs: number, intervalMs: number): number {
  let count = Math.ceil(durationMs / intervalMs);
  while (count > 0 && (count - 1) * intervalMs >= durationMs) count--;
  return count;
}

function positiveInteger(name: string, value: number, min: number): number {
  if (!(Number.isInteger(value) && value >= min)) throw new RangeError(`runLoad: ${name} must be an integer ≥ ${min}`);
  return value;
}

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]"]);

/** A load generator pointed at someone else's server is a denial of service: loopback only. */
function parseLoopbackUrl(baseUrl: string): URL {
  const url = new URL(baseUrl);
  const isLoopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== "http:" || !isLoopback) {
    throw new RangeError(`runLoad: baseUrl must be http:// on the loopback interface, got ${baseUrl}`);
  }
  return url;
}

/** The state of one run: the schedule, the requests in flight and the ops recorded. */
class Runner {
  readonly ops: Op[] = [];
  readonly #plan: LoadPlan;
  readonly #pool: Pool;
  readonly #options: LoadOptions;
  readonly #startMs = performance.now();
  readonly #inFlight = new Map<number, Exchange>();
  readonly #settling = new Set<Promise<void>>();
  #scheduled = 0;
  #isStopped = false;
  #callbackError: { error: unknown } | null = null;
  #timer: NodeJS.Timeout | undefined;
  #endSchedule: () => void = () => {};

  constructor(plan: LoadPlan, pool: Pool, options: LoadOptions) {
    this.#plan = plan;
    this.#pool = pool;
    this.#options = options;
  }

  elapsedMs(): number {
    return performance.now() - this.#startMs;
  }

  async run(): Promise<void> {
    const { signal } = this.#options;
    const onAbort = () => this.#stop();
    signal?.addEventListener("abort", onAbort, { once: true });
    const progress = setInterval(() => this.#report(), PROGRESS_INTERVAL_MS);
    try {
      if (signal?.aborted) this.#stop();
      await this.#schedule();
      // Each op carries its own deadline, so this wait ends within timeoutMs.
      await Promise.all(this.#settling);
      this.#report();
    } finally {
      clearInterval(progress);
      signal?.removeEventListener("abort", onAbort);
    }
    if (this.#callbackError) throw this.#callbackError.error;
  }

  #schedule(): Promise<void> {
    return new Promise((resolve) => {
      this.#endSchedule = resolve;
      const tick = () => {
        this.#fireDue();
        if (this.#isStopped || this.#scheduled >= this.#plan.total) return resolve();
        const wait = this.#intendedMs(this.#scheduled) - this.elapsedMs();
        this.#timer = setTimeout(tick, Math.max(0, wait));
      };
      if (!this.#isStopped) tick();
      else resolve();
    });
  }

  /** Fires every op whose time has come, catching up after a late timer instead of skipping. */
  #fireDue(): void {
    const now = this.elapsedMs();
    while (!this.#isStopped && this.#scheduled < this.#plan.total && this.#intendedMs(this.#scheduled) <= now) {
      this.#fire(this.#scheduled++);
    }
  }

  #fire(i: number): void {
    const t = this.#intendedMs(i);
    if (this.#inFlight.size >= this.#plan.maxInFlight) {
      this.#record(i, t, { status: 0, outcome: "fail", instance: null, code: "overload" });
      return;
    }
    const spec = this.#callback(() => this.#options.next(i));
    if (spec === undefined) return;
    const exchange = startExchange(this.#pool, {
      method: spec.method ?? "GET",
      path: this.#plan.pathPrefix + spec.path,
      headers: spec.headers,
      body: spec.body,
      timeoutMs: this.#plan.timeoutMs,
    });
    this.#inFlight.set(i, exchange);
    const deadline = setTimeout(
      () => exchange.cancel("timeout"),
      Math.max(0, t + this.#plan.timeoutMs - this.elapsedMs()),
    );
    const settled = exchange.result.then((result) => {
      clearTimeout(deadline);
      this.#inFlight.delete(i);
      this.#settling.delete(settled);
      this.#record(i, t, this.#judge(result, spec));
    });
    this.#settling.add(settled);
  }

  #judge(result: ExchangeResult, spec: RequestSpec): OpVerdict {
    return this.#callback(() => judge(result, spec.onResponse)) ?? judge(result, undefined);
  }

  #record(i: number, t: number, verdict: OpVerdict): void {
    const op: Op = { i, t, latencyMs: round(this.elapsedMs() - t), ...verdict };
    this.ops.push(op);
    const { onOp } = this.#options;
    if (onOp) this.#callback(() => onOp(op));
  }

  /** Runs a scenario callback; the first one to throw stops the run, which then rejects with it. */
  #callback<T>(call: () => T): T | undefined {
    try {
      return call();
    } catch (error) {
      this.#callbackError ??= { error };
      this.#stop();
      return undefined;
    }
  }

  #stop(): void {
    if (this.#isStopped) return;
    this.#isStopped = true;
    clearTimeout(this.#timer);
    this.#endSchedule();
    for (const exchange of this.#inFlight.values()) exchange.cancel("aborted");
  }

  #report(): void {
    const { onProgress } = this.#options;
    if (!onProgress) return;
    const progress = { elapsedMs: round(this.elapsedMs()), sent: this.#scheduled, done: this.ops.length };
    this.#callback(() => onProgress({ ...progress, total: this.#plan.total }));
  }

  #intendedMs(i: number): number {
    return i * this.#plan.intervalMs;
  }
}

type OpVerdict = Pick<Op, "status" | "outcome" | "instance" | "code">;

/**
 * The default verdict: 2xx ok, any other answer fail; an error before the request was
 * written fail (it had no effect), after it unknown. An op the lab itself gave up on
 * (`aborted`) is unknown too: it is not the system's failure.
 */
function judge(result: ExchangeResult, onResponse: RequestSpec["onResponse"]): OpVerdict {
  if (result.kind === "error") {
    const outcome = result.isSent || result.code === "aborted" ? "unknown" : "fail";
    return { status: 0, outcome, instance: null, code: result.code };
  }
  const { status, headers, body } = result;
  const isSuccess = status >= 200 && status < 300;
  const outcome = onResponse?.({ status, headers, body }) ?? (isSuccess ? "ok" : "fail");
  return {
    status,
    outcome,
    instance: firstValue(headers["x-instance-id"]),
    code: isSuccess ? null : bodyErrorCode(body),
  };
}

function firstValue(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/** The `error.code` of the house error shape `{"error":{"code","message"}}`, if the body is one. */
function bodyErrorCode(body: string): string | null {
  if (!body.startsWith("{")) return null;
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === "string" ? code : null;
  } catch {
    return null;
  }
}

/** Microsecond precision is plenty and keeps results.json readable. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
