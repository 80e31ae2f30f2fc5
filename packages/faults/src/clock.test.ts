import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { clockSkewEnv, writeClockOffset } from "./index.js";

/** Runs node printing Date.now() every `everyMs`, `times` times; resolves to the printed clocks and when each was read here. */
function clocks(env: Record<string, string>, times: number, everyMs: number, onLine?: (i: number) => void) {
  const script = `let n=0;const t=setInterval(()=>{console.log(Date.now());if(++n===${times})clearInterval(t)},${everyMs})`;
  const child = spawn(process.execPath, ["-e", script], { env: { PATH: process.env.PATH ?? "", ...env } });
  const seen: Array<{ printed: number; here: number }> = [];
  child.stdout.setEncoding("utf8");
  let buffer = "";
  child.stdout.on("data", (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      seen.push({ printed: Number(buffer.slice(0, nl)), here: Date.now() });
      buffer = buffer.slice(nl + 1);
      onLine?.(seen.length);
    }
  });
  return new Promise<typeof seen>((resolve) => child.on("close", () => resolve(seen)));
}

const skewOf = (clock: { printed: number; here: number }) => (clock.printed - clock.here) / 1000;

describe("clockSkewEnv (Debian libfaketime)", () => {
  it("moves the wall clock of that one process only, and can move it back at runtime", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "statelab-clock-")), "offset");
    const [skewed, plain] = await Promise.all([
      clocks(clockSkewEnv(file, 120), 12, 250, (i) => {
        if (i === 2) writeClockOffset(file, -120);
      }),
      clocks({}, 1, 10),
    ]);
    expect(Math.abs(skewOf(plain[0] as (typeof plain)[0]))).toBeLessThan(5);
    expect(skewOf(skewed[0] as (typeof skewed)[0])).toBeGreaterThan(110);
    expect(skewOf(skewed.at(-1) as (typeof skewed)[0])).toBeLessThan(-110);
  });

  it("refuses offsets that are not whole seconds within a year", () => {
    const file = path.join(tmpdir(), "never-written");
    expect(() => writeClockOffset(file, 1.5)).toThrow(RangeError);
    expect(() => writeClockOffset(file, 400 * 86_400)).toThrow(RangeError);
  });
});
