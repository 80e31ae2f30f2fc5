import { describe, expect, it } from "vitest";
import { fitWidth, textWidth, wrapText } from "./text-fit.js";

const LABELS = [
  "no auth (GET /healthz), direct",
  "stateless (no revocation), proxy",
  "stateful via proxy with sticky cookies and three instances behind HAProxy",
  "least-connections, 1,000 clients",
  "supercalifragilisticexpialidocious",
];

describe("textWidth", () => {
  it("follows DejaVu Sans, the widest font the charts name, character by character", () => {
    // Advance widths measured in Chromium: i 278, W 989, space 318 (1/1000 em).
    expect(textWidth("i", 10)).toBeCloseTo(2.78);
    expect(textWidth("W W", 10)).toBeCloseTo(22.96);
    expect(textWidth("revocation),", 11)).toBeCloseTo(66.18, 1);
    expect(textWidth("中", 10)).toBeGreaterThanOrEqual(10);
  });
});

describe("fitWidth", () => {
  it("leaves text that fits alone and cuts the rest with an ellipsis inside the width", () => {
    expect(fitWidth("proxy", 40, 11)).toBe("proxy");
    const cut = fitWidth("supercalifragilistic", 60, 11);
    expect(cut).toMatch(/^super\w*…$/);
    expect(textWidth(cut, 11)).toBeLessThanOrEqual(60);
  });
});

describe("wrapText", () => {
  it("breaks at spaces and after commas and slashes", () => {
    expect(wrapText("no auth (GET /healthz), direct", 75, 11, 4)).toEqual({
      lines: ["no auth (GET", "/healthz),", "direct"],
      cut: false,
    });
    expect(wrapText("alpha,beta/gamma", 45, 11, 4).lines).toEqual(["alpha,", "beta/", "gamma"]);
  });

  it("does not break inside a number, and breaks a hyphenated word after its hyphen", () => {
    expect(wrapText("1,000,000 users", 60, 11, 4).lines).toEqual(["1,000,000", "users"]);
    const narrow = wrapText("1,000,000", 40, 11, 4);
    expect(narrow.lines).toHaveLength(1);
    expect(narrow.lines[0]).toMatch(/^1,0[\d,]*…$/);
    expect(wrapText("least-connections", 70, 11, 4).lines).toEqual(["least-", "connections"]);
  });

  it("cuts only a word wider than a whole line", () => {
    const wrapped = wrapText("supercalifragilisticexpialidocious proxy", 74, 11, 4);
    expect(wrapped.cut).toBe(true);
    expect(wrapped.lines).toHaveLength(2);
    expect(wrapped.lines[0]).toMatch(/^super\w+…$/);
    expect(wrapped.lines[1]).toBe("proxy");
  });

  it("puts what does not fit into maxLines on the last line, cut with an ellipsis", () => {
    const wrapped = wrapText("one two three four five six seven", 40, 11, 3);
    expect(wrapped.lines).toHaveLength(3);
    expect(wrapped.lines.slice(0, 2)).toEqual(["one", "two"]);
    expect(wrapped.lines[2]).toMatch(/^three.*…$/);
    expect(wrapped.cut).toBe(true);
  });

  it("gives one empty line for empty or blank text", () => {
    expect(wrapText("", 50, 11, 3)).toEqual({ lines: [""], cut: false });
    expect(wrapText("  \n ", 50, 11, 3)).toEqual({ lines: [""], cut: false });
  });

  it("keeps every line within the width and, when nothing is cut, every character of the text", () => {
    for (const label of LABELS) {
      for (let width = 24; width <= 400; width += 7) {
        const { lines, cut } = wrapText(label, width, 11, 4);
        expect(lines.length).toBeLessThanOrEqual(4);
        for (const line of lines)
          expect(textWidth(line, 11), `${label} @ ${width}: ${line}`).toBeLessThanOrEqual(width);
        if (!cut) expect(lines.join("").replace(/\s/g, "")).toBe(label.replace(/\s/g, ""));
        else expect(lines.some((line) => line.endsWith("…"))).toBe(true);
      }
    }
  });
});
