/**
 * The faults a person can inject into a running lab, parsed one way for the
 * dashboard's buttons, the control API and `statelab fault`.
 */
export const faultKinds = ["kill", "pause", "resume", "restart", "stop", "start", "strategy", "store"] as const;
export type FaultKind = (typeof faultKinds)[number];

/** What one fault does, for `statelab fault --help` and the README. */
export const faultUsage: Record<FaultKind, string> = {
  kill: "kill <instance>: kill -9 (with --for: started again afterwards)",
  pause: "pause <instance>: SIGSTOP (with --for: SIGCONT afterwards)",
  resume: "resume <instance>: SIGCONT",
  restart: "restart <instance | proxy-<stack>>: stop gracefully (or find dead) and start again",
  stop: "stop <redis | postgres>: stop the server (with --for: started again afterwards)",
  start: "start <redis | postgres>: start the server again",
  strategy: "strategy <stack> <name>: switch the proxy's strategy (with --for: back afterwards)",
  store: "store <stateful stack> <redis | memory>: restart its instances one by one with SESSION_STORE changed",
};

/** The faults that undo themselves after `--for`; the others are already an undo or cannot be undone. */
const undoable = new Set<FaultKind>(["kill", "pause", "stop", "strategy", "store"]);
const needsValue = new Set<FaultKind>(["strategy", "store"]);

/** A fault as the control API receives it. */
export interface FaultRequest {
  kind: FaultKind;
  /** An instance id (`stateful-2`), a proxy (`proxy-stateless`), a stack label, `redis` or `postgres`. */
  target: string;
  /** The strategy name or the store, for `strategy` and `store`. */
  value: string | null;
  /** Undo after this long; null = stays until undone by hand. */
  forMs: number | null;
}

export type ControlErrorCode =
  | "bad_request"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "internal";

const statusOf: Record<ControlErrorCode, number> = {
  bad_request: 400,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal: 500,
};

/** Every refusal of the control API: a stable code, its HTTP status and a message for a person. */
export class ControlError extends Error {
  override readonly name = "ControlError";
  readonly code: ControlErrorCode;
  readonly status: number;

  constructor(code: ControlErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = statusOf[code];
  }
}

/** Longest --for: a fault meant to last longer is one to undo by hand. */
export const maxFaultMs = 3_600_000;
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** "5s", "500ms", "2m" or a bare number of seconds → ms; throws ControlError on anything else. */
export function parseDuration(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * (units[match[2] ?? "s"] as number) : Number.NaN;
  if (!(ms >= 100 && ms <= maxFaultMs)) {
    throw new ControlError("bad_request", `duration must look like 5s, 500ms or 2m, from 100ms to 60m; got "${raw}"`);
  }
  return Math.round(ms);
}

const isKind = (value: unknown): value is FaultKind => faultKinds.includes(value as FaultKind);
const namePattern = /^[a-z][a-z0-9-]{0,63}$/;

/** Checks a fault request's shape (not whether its target exists: the running lab knows that). */
export function parseFaultRequest(input: unknown): FaultRequest {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ControlError("bad_request", "the body must be a JSON object {kind, target, value?, forMs?}");
  }
  const { kind, target, value, forMs } = input as Record<string, unknown>;
  if (!isKind(kind)) throw new ControlError("bad_request", `"kind" must be one of ${faultKinds.join(", ")}`);
  if (typeof target !== "string" || !namePattern.test(target)) {
    throw new ControlError("bad_request", `"target" must name an instance, a proxy, a stack, redis or postgres`);
  }
  if (needsValue.has(kind) !== (value !== undefined && value !== null)) {
    throw new ControlError(
      "bad_request",
      needsValue.has(kind) ? `${kind} needs a value: ${faultUsage[kind]}` : `${kind} takes no value`,
    );
  }
  if (value !== undefined && value !== null && (typeof value !== "string" || !namePattern.test(value))) {
    throw new ControlError("bad_request", `"value" must be a name such as round-robin or memory`);
  }
  if (forMs !== undefined && forMs !== null) {
    if (!undoable.has(kind)) throw new ControlError("bad_request", `${kind} cannot take a duration`);
    if (!(Number.isInteger(forMs) && (forMs as number) >= 100 && (forMs as number) <= maxFaultMs)) {
      throw new ControlError("bad_request", `"forMs" must be a whole number of ms from 100 to ${maxFaultMs}`);
    }
  }
  return {
    kind,
    target,
    value: typeof value === "string" ? value : null,
    forMs: typeof forMs === "number" ? forMs : null,
  };
}
