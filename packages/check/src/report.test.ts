import { describe, expect, it } from "vitest";
import { formatJunit, formatTable, summarize } from "./report.js";
import type { CheckResult } from "./types.js";

const results: CheckResult[] = [
  { id: "contract.login", area: "contract", title: "login works", status: "pass", durationMs: 12 },
  {
    id: "tokens.alg-none",
    area: "tokens",
    title: "alg none → 401",
    status: "fail",
    reason: 'got 200 <"ok"> & more',
    durationMs: 40,
  },
  {
    id: "tokens.expired",
    area: "tokens",
    title: "expired",
    status: "skip",
    reason: "needs --signing-key",
    durationMs: 0,
  },
];

describe("reports", () => {
  it("the table groups by area, one line per check, the reason under it, the summary last", () => {
    const table = formatTable(results, summarize(results, 1234));
    expect(table.split("\n")).toEqual([
      "",
      "contract",
      "  pass  contract.login   login works  12 ms",
      "",
      "tokens",
      "  FAIL  tokens.alg-none  alg none → 401  40 ms",
      '                         → got 200 <"ok"> & more',
      "  skip  tokens.expired   expired",
      "                         skipped: needs --signing-key",
      "",
      "3 checks: 1 passed, 1 failed, 1 skipped in 1.2 s",
    ]);
  });

  it("JUnit XML: one testsuite per area with counts, failures and skips as elements, text escaped", () => {
    const xml = formatJunit({ baseUrl: "http://127.0.0.1:1", kind: "bearer" }, results);
    expect(xml).toContain('<testsuite name="tokens" tests="2" failures="1" skipped="1" time="0.040">');
    expect(xml).toContain('<failure message="got 200 &lt;&quot;ok&quot;&gt; &amp; more"/>');
    expect(xml).toContain('<skipped message="needs --signing-key"/>');
    expect(xml.match(/<testcase /g)).toHaveLength(3);
  });
});
