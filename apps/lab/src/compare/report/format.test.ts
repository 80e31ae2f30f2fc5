import { describe, expect, it } from "vitest";
import { formatNumber, formatTicks } from "./format.js";
import { niceAxis } from "./scale.js";

describe("niceAxis", () => {
  it("covers the range with 1-2-5 steps and few ticks, whatever the range", () => {
    const ranges: Array<[number, number]> = [
      [0, 87],
      [0, 1],
      [0, 0.003],
      [-40, 7],
      [3, 1e6],
      [0, 123456789],
      [17, 18],
      [-1e-7, 5e-7],
      [0, 1.7e308],
    ];
    for (const [lo, hi] of ranges) {
      const axis = niceAxis(lo, hi);
      const mantissa = axis.step / 10 ** Math.floor(Math.log10(axis.step));
      expect([1, 2, 5]).toContain(Math.round(mantissa * 1e6) / 1e6);
      expect(axis.min).toBeLessThanOrEqual(Math.max(lo, -1e300));
      expect(axis.max).toBeGreaterThanOrEqual(Math.min(hi, 1e300));
      expect(axis.ticks.length).toBeGreaterThanOrEqual(2);
      expect(axis.ticks.length).toBeLessThanOrEqual(11);
    }
    expect(niceAxis(0, 87).ticks).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceAxis(0, 0.3).ticks).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it("gives an empty or zero-width range a usable axis", () => {
    expect(niceAxis(0, 0).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const flat = niceAxis(5, 5);
    expect(flat.min).toBeLessThan(5);
    expect(flat.max).toBeGreaterThan(5);
  });
});

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
});
