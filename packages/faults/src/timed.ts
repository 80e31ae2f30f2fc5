/** How to break something and how to heal it. */
export interface FaultSpec {
  /** For messages: "SIGSTOP stateful-2", "blackhole s-1→redis". */
  name: string;
  /** The fault ends by itself this long after it started. */
  durationMs: number;
  start(): unknown;
  end(): unknown;
}

/** A fault in force; it ends when its time is up or when `end()` is called, whichever is first. */
export interface ActiveFault {
  readonly name: string;
  isActive(): boolean;
  /** Heals now (once; later calls return the same promise); rejects if healing failed. */
  end(): Promise<void>;
  /** Settles when the heal has run, by the timer or by `end()`; never rejects. */
  readonly ended: Promise<void>;
}

const maxDurationMs = 24 * 3600_000;

/**
 * Starts a fault that always ends by itself after `durationMs`, even when the
 * code that started it throws or forgets it: a paused server or a black-holed
 * link must never outlive the experiment. If `start` throws, `end` runs at once.
 */
export async function startTimedFault(spec: FaultSpec): Promise<ActiveFault> {
  if (!Number.isFinite(spec.durationMs) || spec.durationMs <= 0 || spec.durationMs > maxDurationMs) {
    throw new RangeError(`${spec.name}: durationMs must be in (0, ${maxDurationMs}], got ${spec.durationMs}`);
  }
  let healing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let settle = () => {};
  const ended = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const end = (): Promise<void> => {
    clearTimeout(timer);
    healing ??= (async () => {
      await spec.end();
    })().finally(settle);
    return healing;
  };
  try {
    await spec.start();
  } catch (error) {
    await end().catch(() => {});
    throw error;
  }
  // Not unref'd: the heal must run even if nothing else keeps the process alive.
  timer = setTimeout(() => void end().catch(() => {}), spec.durationMs);
  return {
    name: spec.name,
    isActive: () => healing === undefined,
    end,
    ended,
  };
}
