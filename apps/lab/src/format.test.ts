import { describe, expect, it } from "vitest";
import { formatDuration, formatNumber, formatTicks, pct, round } from "./format.js";

describe("number formatting", () => {
  it("keeps integers plain and rounds the rest to 3 decimals or 3 significant digits", () => {
    expect(formatNumber(1234567)).toBe("1234567");
    expect(formatNumber(12.34567)).toBe("12.346");
    expect(formatNumber(2.5)).toBe("2.5");
    expect(formatNumber(0.000123456)).toBe("0.000123");
    expect(formatNumber(-0)).toBe("0");
    expect(formatNumber(Number.NaN)).toBe("n/a");
  });

  it("labels ticks with one SI unit per axis and only the decimals the step needs", () => {
    expect(formatTicks([0, 10000, 20000, 30000], 10000)).toEqual(["0", "10k", "20k", "30k"]);
    expect(formatTicks([0, 2000, 4000], 2000)).toEqual(["0", "2000", "4000"]);
    expect(formatTicks([0, 0.5e6, 1e6, 1.5e6], 0.5e6)).toEqual(["0", "0.5M", "1.0M", "1.5M"]);
    expect(formatTicks([0, 0.1, 0.2], 0.1)).toEqual(["0", "0.1", "0.2"]);
  });

  it("durations read as people say them: ms below a second, one decimal below a minute, then min and s", () => {
    expect(formatDuration(849.6)).toBe("850 ms");
    expect(formatDuration(12_340)).toBe("12.3 s");
    expect(formatDuration(245_000)).toBe("4 min 05 s");
    expect(formatDuration(3_720_000)).toBe("1 h 02 min");
    expect(formatDuration(-1500)).toBe("-1.5 s");
    expect(formatDuration(Number.NaN)).toBe("n/a");
  });

  it("shares keep a decimal unless they are none or all; rounding keeps the digits asked for", () => {
    expect(pct(1, 3)).toBe("33.3%");
    expect(pct(0, 3)).toBe("0%");
    expect(pct(3, 3)).toBe("100%");
    expect(pct(1, 0)).toBe("n/a");
    expect(round(2.345, 2)).toBe(2.35);
    expect(round(2.25)).toBe(2.3);
  });
});
