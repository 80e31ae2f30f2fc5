import type { Socket } from "node:net";
import { delayMs, type StreamFault } from "./fault.js";

type Item = { due: number; chunk: Buffer } | { due: number; chunk: "end" };

/** Above this many held bytes the source stops being read (TCP backpressure does the rest). */
const highWaterBytes = 1 << 20;

/**
 * One direction of a relayed connection: the bytes of `src` reach `dst` in
 * order, each chunk held until its due time (latency) or for as long as the
 * direction is black-holed. Held bytes are delivered when the fault ends, as TCP
 * retransmits them after a partition heals, so the stream itself never corrupts.
 */
export class Pipe {
  private readonly queue: Item[] = [];
  private queuedBytes = 0;
  private lastDue = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly fault: () => StreamFault,
  ) {
    src.on("data", (chunk: Buffer) => this.enqueue(chunk));
    src.on("end", () => this.enqueue("end"));
    dst.on("drain", () => {
      this.waitingForDrain = false;
      this.pump();
    });
  }

  /** Re-reads the fault and moves whatever is due; the relay calls it on every change. */
  pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const held = this.fault().kind === "blackhole";
    while (!held && !this.waitingForDrain && this.queue.length > 0) {
      const head = this.queue[0] as Item;
      const wait = head.due - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), wait);
        break;
      }
      this.queue.shift();
      if (head.chunk === "end") {
        this.dst.end();
        continue;
      }
      this.queuedBytes -= head.chunk.length;
      if (!this.dst.write(head.chunk)) this.waitingForDrain = true;
    }
    if (held || this.waitingForDrain || this.queuedBytes > highWaterBytes) this.src.pause();
    else this.src.resume();
  }

  /** Drops the timer; the sockets themselves are destroyed by the relay. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private enqueue(chunk: Buffer | "end"): void {
    // Never earlier than the chunk before: jitter delays, it does not reorder a TCP stream.
    const due = Math.max(Date.now() + delayMs(this.fault()), this.lastDue);
    this.lastDue = due;
    this.queue.push({ due, chunk });
    if (chunk !== "end") this.queuedBytes += chunk.length;
    this.pump();
  }
}
