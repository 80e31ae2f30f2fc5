import { describe, expect, it } from "vitest";
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
