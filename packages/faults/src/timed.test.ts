import { describe, expect, it } from "vitest";
import { startTimedFault } from "./index.js";

function probe() {
  const calls: string[] = [];
  return {
    calls,
    spec: (durationMs: number) => ({
      name: "probe",
      durationMs,
      start: () => void calls.push("start"),
      end: () => void calls.push("end"),
    }),
  };
}

describe("startTimedFault", () => {
  it("ends by itself after its duration, once", async () => {
    const { calls, spec } = probe();
    const started = performance.now();
    const fault = await startTimedFault(spec(150));
    expect(fault.isActive()).toBe(true);
    await fault.ended;
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(fault.isActive()).toBe(false);
    await fault.end();
    expect(calls).toEqual(["start", "end"]);
  });

  it("end() heals at once and the timer does not heal again", async () => {
    const { calls, spec } = probe();
    const fault = await startTimedFault(spec(100));
    await fault.end();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).toEqual(["start", "end"]);
  });

  it("still ends after its duration when the code that started it throws", async () => {
    const { calls, spec } = probe();
    let fault: Awaited<ReturnType<typeof startTimedFault>> | undefined;
    const scenario = async () => {
      fault = await startTimedFault(spec(100));
      throw new Error("scenario broke");
    };
    await expect(scenario()).rejects.toThrow("scenario broke");
    await fault?.ended;
    expect(calls).toEqual(["start", "end"]);
  });

  it("a start that throws is healed at once and rethrown", async () => {
    const calls: string[] = [];
    await expect(
      startTimedFault({
        name: "half-started",
        durationMs: 10_000,
        start: () => {
          throw new Error("no such process");
        },
        end: () => void calls.push("end"),
      }),
    ).rejects.toThrow("no such process");
    expect(calls).toEqual(["end"]);
  });

  it("a heal that fails rejects end() but `ended` still settles", async () => {
    const fault = await startTimedFault({
      name: "stuck",
      durationMs: 10_000,
      start: () => {},
      end: () => Promise.reject(new Error("cannot heal")),
    });
    await expect(fault.end()).rejects.toThrow("cannot heal");
    await expect(fault.ended).resolves.toBeUndefined();
  });

  it("refuses a duration that would never end", async () => {
    const { spec } = probe();
    for (const ms of [0, -1, Number.POSITIVE_INFINITY, Number.NaN]) {
      await expect(startTimedFault(spec(ms))).rejects.toThrow(RangeError);
    }
  });
});
