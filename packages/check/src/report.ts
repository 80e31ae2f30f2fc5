import { AREAS, type CheckResult } from "./types.js";

export interface Summary {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

export function summarize(results: readonly CheckResult[], durationMs: number): Summary {
  const count = (status: CheckResult["status"]) => results.filter((r) => r.status === status).length;
  return { total: results.length, passed: count("pass"), failed: count("fail"), skipped: count("skip"), durationMs };
}

const MARK = { pass: "pass", fail: "FAIL", skip: "skip" } as const;

/** Width of the id column for a set of checks. */
export const idWidthOf = (checks: readonly { id: string }[]) => Math.max(10, ...checks.map((c) => c.id.length));

/**
 * The table's lines for one result: the area's heading when it starts a new
 * area, the check's line, and its reason below. The CLI prints these as the
 * results arrive, so the table is also the progress.
 */
export function tableLines(result: CheckResult, previous: CheckResult | undefined, idWidth: number): string[] {
  const lines = previous?.area === result.area ? [] : ["", result.area];
  const time = result.status === "skip" ? "" : `${result.durationMs} ms`;
  lines.push(`  ${MARK[result.status]}  ${result.id.padEnd(idWidth)}  ${result.title}  ${time}`.trimEnd());
  if (result.reason) {
    lines.push(`          ${" ".repeat(idWidth)}${result.status === "skip" ? "skipped: " : "→ "}${result.reason}`);
  }
  return lines;
}

export function summaryLine(summary: Summary): string {
  const seconds = (summary.durationMs / 1000).toFixed(1);
  return `${summary.total} check${summary.total === 1 ? "" : "s"}: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped in ${seconds} s`;
}

/** The whole table: one line per check grouped by area, reasons below, the summary last. */
export function formatTable(results: readonly CheckResult[], summary: Summary): string {
  const width = idWidthOf(results);
  const lines = results.flatMap((result, i) => tableLines(result, results[i - 1], width));
  return [...lines, "", summaryLine(summary)].join("\n");
}

export function formatJson(
  target: { baseUrl: string; kind: string },
  results: readonly CheckResult[],
  summary: Summary,
) {
  return JSON.stringify({ target, summary, results }, null, 2);
}

const xml = (value: string) =>
  value.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c);

/** JUnit XML as CI systems read it: one testsuite per area, one testcase per check. */
export function formatJunit(target: { baseUrl: string; kind: string }, results: readonly CheckResult[]): string {
  const suites = AREAS.map((area) => results.filter((r) => r.area === area))
    .filter((inArea) => inArea.length > 0)
    .map((inArea) => {
      const area = inArea[0]?.area as string;
      const seconds = (ms: number) => (ms / 1000).toFixed(3);
      const cases = inArea.map((r) => {
        const open = `    <testcase classname="statelab-check.${area}" name="${xml(`${r.id}: ${r.title}`)}" time="${seconds(r.durationMs)}"`;
        if (r.status === "pass") return `${open}/>`;
        const inner =
          r.status === "fail"
            ? `<failure message="${xml(r.reason ?? "")}"/>`
            : `<skipped message="${xml(r.reason ?? "")}"/>`;
        return `${open}>\n      ${inner}\n    </testcase>`;
      });
      const count = (status: string) => inArea.filter((r) => r.status === status).length;
      const time = seconds(inArea.reduce((sum, r) => sum + r.durationMs, 0));
      return `  <testsuite name="${area}" tests="${inArea.length}" failures="${count("fail")}" skipped="${count("skip")}" time="${time}">\n${cases.join("\n")}\n  </testsuite>`;
    });
  const name = xml(`statelab check ${target.baseUrl} --kind ${target.kind}`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${name}">\n${suites.join("\n")}\n</testsuites>\n`;
}
