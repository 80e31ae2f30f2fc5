/** One JSON line a lease worker printed (see lease-worker.ts). */
export interface WorkerEvent {
  at: number;
  worker: string;
  msg: string;
  token?: number;
  isStale?: boolean;
  reason?: string;
}

export const ACQUIRED = "lease: acquired";
export const LOST = "lease: lost; stopped acting";
export const REFUSED = "lease: write refused as stale; giving up";

/** The events in a worker's output, oldest first; lines that are not events are skipped. */
export function workerEvents(output: string): WorkerEvent[] {
  const events: WorkerEvent[] = [];
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const event = JSON.parse(line) as Partial<WorkerEvent>;
      if (typeof event.at === "number" && typeof event.msg === "string" && typeof event.worker === "string") {
        events.push(event as WorkerEvent);
      }
    } catch {
      // A partial line still being written.
    }
  }
  return events;
}

/** Polls `outputs` until an event matches (at or after `since`), or throws after `timeoutMs`. */
export async function waitForEvent(
  outputs: () => string[],
  match: (event: WorkerEvent) => boolean,
  since: number,
  timeoutMs: number,
): Promise<WorkerEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const output of outputs()) {
      const found = workerEvents(output).find((event) => event.at >= since && match(event));
      if (found) return found;
    }
    if (Date.now() > deadline) throw new Error(`no matching lease worker event within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
