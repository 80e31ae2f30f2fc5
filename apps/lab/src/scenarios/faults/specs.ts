import type { Direction, Fault, FaultSpec, Relay } from "@statelab/faults";
import type { Child } from "../../stack/children.js";

/** The process faults of the lab, each undone when its time is up. */
export type ProcessFaultKind = "kill" | "stop";

/**
 * A timed process fault on one supervised child, for `startTimedFault`:
 * `kill` is kill -9 now and a fresh start when the time is up; `stop` is SIGSTOP
 * now and SIGCONT when the time is up (a frozen process: its sockets accept, it
 * answers nothing). A plain restart needs no duration: `child.restart()`.
 */
export function processFault(child: Child, kind: ProcessFaultKind, durationMs: number): FaultSpec {
  const name = `${kind === "kill" ? "kill -9" : "SIGSTOP"} ${child.spec.name}`;
  if (kind === "kill") return { name, durationMs, start: () => child.crash(), end: () => child.start() };
  return { name, durationMs, start: () => child.pause(), end: () => child.resume() };
}

/** A timed fault on relays (one link, or every link of a stack): set now, back to pass when the time is up. */
export function relayFault(
  name: string,
  relays: readonly Relay[],
  fault: Fault,
  durationMs: number,
  direction: Direction = "both",
): FaultSpec {
  return {
    name,
    durationMs,
    start: () => {
      for (const relay of relays) relay.set(fault, direction);
    },
    end: () => {
      for (const relay of relays) relay.clear();
    },
  };
}
