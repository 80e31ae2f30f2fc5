/** Which way a fault acts on a relayed connection; upstream = client → server. */
export type Direction = "both" | "upstream" | "downstream";

/** What the relay does to the bytes and connections passing through it. */
export type Fault =
  | { kind: "pass" }
  | { kind: "latency"; ms: number; jitterMs?: number }
  /** Accept and keep the socket, never forward bytes (held, as TCP holds them in a partition). */
  | { kind: "blackhole" }
  /** RST live and new connections. */
  | { kind: "reset" }
  /** New connections refused, live ones closed: the server is down. */
  | { kind: "refuse" };

/** A fault that acts on one direction of a stream; reset and refuse act on whole connections. */
export type StreamFault = Extract<Fault, { kind: "pass" | "latency" | "blackhole" }>;

export const directions: readonly Direction[] = ["both", "upstream", "downstream"];

/**
 * Checks a fault and its direction before the relay applies it, so a bad value
 * throws at the caller instead of misbehaving later.
 */
export function checkFault(fault: Fault, direction: Direction): void {
  if (!directions.includes(direction)) throw new RangeError(`direction must be one of ${directions.join(", ")}`);
  switch (fault.kind) {
    case "pass":
    case "blackhole":
      return;
    case "latency":
      checkMs("latency ms", fault.ms);
      if (fault.jitterMs !== undefined) checkMs("latency jitterMs", fault.jitterMs);
      return;
    case "reset":
    case "refuse":
      // A connection is reset or refused as a whole; there is no one-way RST.
      if (direction !== "both") throw new RangeError(`${fault.kind} acts on whole connections: direction must be both`);
      return;
    default:
      throw new RangeError(`unknown fault kind ${JSON.stringify((fault as { kind?: unknown }).kind)}`);
  }
}

function checkMs(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value > 600_000) {
    throw new RangeError(`${name} must be a number of milliseconds in 0..600000, got ${value}`);
  }
}

/** The delay one chunk gets under a stream fault (0 for pass). */
export function delayMs(fault: StreamFault, random: () => number = Math.random): number {
  if (fault.kind !== "latency") return 0;
  return fault.ms + (fault.jitterMs ? random() * fault.jitterMs : 0);
}
