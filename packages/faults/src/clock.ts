import { existsSync, writeFileSync } from "node:fs";

/**
 * Debian's libfaketime, multi-threaded build: Node runs libuv threads, and the
 * single-threaded build is not safe for them.
 */
const libfaketimeCandidates = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
  "/usr/lib/faketime/libfaketimeMT.so.1",
];

/** The libfaketime library to preload; throws naming the package when it is not installed. */
export function libfaketimePath(): string {
  const found = libfaketimeCandidates.find((file) => existsSync(file));
  if (!found) throw new Error("libfaketime is not installed (Debian: apt-get install libfaketime)");
  return found;
}

/**
 * Env for ONE process whose wall clock can be moved at runtime: libfaketime is
 * preloaded into it alone and reads its offset from `offsetFile` (re-read every
 * second). Monotonic clocks stay real, so timers and timeouts are unaffected;
 * only Date.now() moves, as with a wrong NTP clock.
 */
export function clockSkewEnv(offsetFile: string, offsetSeconds = 0): Record<string, string> {
  writeClockOffset(offsetFile, offsetSeconds);
  return {
    LD_PRELOAD: libfaketimePath(),
    FAKETIME_TIMESTAMP_FILE: offsetFile,
    FAKETIME_CACHE_DURATION: "1",
    FAKETIME_DONT_FAKE_MONOTONIC: "1",
  };
}

/** Moves the clock of the process started with `clockSkewEnv(offsetFile)`; it applies within a second. */
export function writeClockOffset(offsetFile: string, offsetSeconds: number): void {
  if (!Number.isInteger(offsetSeconds) || Math.abs(offsetSeconds) > 366 * 86_400) {
    throw new RangeError(`clock offset must be whole seconds within a year, got ${offsetSeconds}`);
  }
  writeFileSync(offsetFile, `${offsetSeconds >= 0 ? "+" : ""}${offsetSeconds}\n`);
}
