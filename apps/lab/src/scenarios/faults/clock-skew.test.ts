import { describe, expect, it } from "vitest";
import { fixture } from "../testing.js";
import { type ClockSkewObservations, clockSkew, type SkewCheck, type SkewVariant } from "./clock-skew.js";

const checkOf = (
  offsetSeconds: number,
  mintedOn: SkewCheck["mintedOn"],
  checkedOn: SkewCheck["checkedOn"],
  status = 200,
): SkewCheck => ({
  offsetSeconds,
  mintedOn,
  checkedOn,
  status,
  code: status === 200 ? null : "token_invalid",
  expiresInSeconds: status === 200 ? 300 : null,
});

function variant(label: string, stack: "stateful" | "stateless", crossStatus: (c: SkewCheck) => number): SkewVariant {
  const checks: SkewCheck[] = [];
  for (const offset of [120, -120])
    for (const minted of ["skewed", "correct"] as const)
      for (const checked of ["skewed", "correct"] as const) {
        const check = checkOf(offset, minted, checked);
        checks.push(minted === checked ? check : { ...check, status: crossStatus(check) });
      }
  checks.push(checkOf(0, "skewed", "correct"));
  return {
    label,
    stack,
    skewed: `${label}-3`,
    correct: `${label}-1`,
    measuredOffsets: [
      { offsetSeconds: 120, skewed: 120, correct: 0 },
      { offsetSeconds: -120, skewed: -119, correct: 1 },
      { offsetSeconds: 0, skewed: 0, correct: 0 },
    ],
    checks,
    aheadAfterHeal: stack === "stateful" ? 200 : 401,
  };
}

/** What jose does with iat in the future beyond the tolerance: ahead → rejected on the correct clock, and on the clock behind. */
const jwtStatus = (c: SkewCheck) =>
  (c.offsetSeconds > 0 && c.mintedOn === "skewed") || (c.offsetSeconds < 0 && c.checkedOn === "skewed") ? 401 : 200;

const observations = fixture<ClockSkewObservations>(() => ({
  offsets: [120, -120],
  settleMs: 1500,
  variants: [variant("stateful", "stateful", () => 200), variant("stateless", "stateless", jwtStatus)],
}));

describe("clock-skew measure and invariants (pure)", () => {
  it("every invariant holds: sessions ignore the skew, tokens crossing it get 401", () => {
    expect(clockSkew.invariants(observations()).every((i) => i.holds)).toBe(true);
  });

  it("a session rejected across clocks breaks the stateful claim", () => {
    const o = observations((x) => {
      x.variants[0] = variant("stateful", "stateful", jwtStatus);
    });
    expect(clockSkew.invariants(o).find((i) => i.name.startsWith("sessions ignore"))?.holds).toBe(false);
  });

  it("a 500 for a skewed token, or a skew never rejected, breaks the stateless claim", () => {
    for (const status of [() => 500, () => 200]) {
      const o = observations((x) => {
        x.variants[1] = variant("stateless", "stateless", status);
      });
      expect(clockSkew.invariants(o).find((i) => i.name.startsWith("tokens crossing"))?.holds).toBe(false);
    }
  });

  it("a skew that was not in force (or leaked to the correct instance) is caught", () => {
    const o = observations((x) => {
      const v = x.variants[1] as SkewVariant;
      v.measuredOffsets = v.measuredOffsets.map((m) => ({ ...m, correct: m.offsetSeconds }));
    });
    expect(
      clockSkew.invariants(o).find((i) => i.name === "the skew was in force on one instance only: stateless")?.holds,
    ).toBe(false);
  });

  it("the reading gives how far the reported expiry moved with the checking instance's clock", () => {
    const o = observations((x) => {
      const v = x.variants[0] as SkewVariant;
      v.checks = v.checks.map((c) =>
        c.mintedOn === "correct" && c.checkedOn === "skewed" ? { ...c, expiresInSeconds: 300 + c.offsetSeconds } : c,
      );
    });
    expect(clockSkew.measure(o).reading.join(" ")).toContain("(+120 s at +120 s, -120 s at -120 s against");
  });

  it("cells count rejected cross-clock checks and what minted-ahead credentials cost", () => {
    const [stateful, stateless] = clockSkew.measure(observations()).faultCells ?? [];
    expect(stateful?.errors).toBe("0 of 4 cross-clock checks rejected");
    expect(stateless?.errors).toBe("2 of 4 cross-clock checks rejected");
    expect(stateless?.lost).toContain("rejected (401)");
    expect(stateful?.lost).toContain("nothing");
  });
});
