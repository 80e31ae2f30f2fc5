import { randomBytes } from "node:crypto";
import path from "node:path";
import { projectRoot } from "@statelab/infra";
import { formatDuration } from "../format.js";
import { scenarios as allScenarios } from "../scenarios/index.js";
import { openLab } from "../stack/lab.js";
import { describeEnvironment } from "./environment.js";
import { buildFaultMatrix } from "./fault-matrix.js";
import { createContext, StackPool } from "./pool.js";
import { createProgress, silentProgress } from "./progress.js";
import { writeReport } from "./report/index.js";
import { nothingMeasured, type Results, type ScenarioResult } from "./results.js";
import { acquireRunLock } from "./run-lock.js";
import { type Scenario, timingOf } from "./scenario.js";

export interface CompareOptions {
  scenarios: string[];
  quick: boolean;
  /** Where reports/<timestamp>/ goes. */
  outDir: string;
  /** Env for the infra (e.g. DATABASE_URL / REDIS_URL of servers to use instead of starting any). */
  infraEnv?: Record<string, string>;
  /** No progress output (the test suite). */
  silent?: boolean;
}

export const defaultReportsDir = path.join(projectRoot, "reports");

const compareHome = path.join(projectRoot, ".statelab", "compare");

/**
 * A comparison runs its own Postgres and Redis (ports 54319 / 63789), apart from
 * `statelab up`'s, so stopping them at the end never pulls the floor from under a
 * running lab. DATABASE_URL / REDIS_URL still win.
 */
const compareInfraEnv = { STATELAB_HOME: compareHome, PG_PORT: "54319", REDIS_PORT: "63789" };

/** Picks scenarios by id, in the registry's order; an unknown id is a usage error. */
export function selectScenarios(ids: string[]): Scenario[] {
  if (ids.length === 0) return allScenarios;
  const unknown = ids.filter((id) => !allScenarios.some((s) => s.id === id));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.join(", ")}; known: ${allScenarios.map((s) => s.id).join(", ")}`);
  }
  return allScenarios.filter((s) => ids.includes(s.id));
}

async function runOne(
  scenario: Scenario,
  context: ReturnType<typeof createContext>,
  pool: StackPool,
  quick: boolean,
): Promise<ScenarioResult> {
  const startedAt = new Date();
  const base = {
    id: scenario.id,
    title: scenario.title,
    question: scenario.question,
    startedAt: startedAt.toISOString(),
  };
  let result: ScenarioResult;
  try {
    const observations = await scenario.run(context, timingOf(scenario, quick));
    const measured = scenario.measure(observations);
    result = {
      ...base,
      durationMs: Date.now() - startedAt.getTime(),
      ...measured,
      invariants: scenario.invariants(observations),
      data: observations as Record<string, unknown>,
    };
  } catch (error) {
    result = {
      ...base,
      durationMs: Date.now() - startedAt.getTime(),
      ...nothingMeasured(),
      error: error instanceof Error ? error.message : String(error),
    };
  }
  const unhealed = await pool.endScenario();
  return unhealed === null ? result : { ...result, error: [result.error, unhealed].filter(Boolean).join("; ") };
}

/**
 * `statelab compare`: boots the infra, runs each scenario against both stacks
 * (stacks are started on free ports, apart from a running `statelab up`), and
 * writes results.json, report.md and report.html. Resolves to the results and
 * the report's folder; the CLI exits 1 if any invariant broke or a scenario failed.
 */
export async function compare(options: CompareOptions, print: (line: string) => void = console.log) {
  const chosen = selectScenarios(options.scenarios);
  const estimate = chosen.reduce((sum, s) => sum + timingOf(s, options.quick).estimateSeconds, 0);
  print(
    `statelab compare: ${chosen.length} scenario${chosen.length === 1 ? "" : "s"}` +
      `${options.quick ? " (quick)" : ""}, about ${Math.ceil(estimate / 60)} min on 2 cores`,
  );
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[-:]/g, "").slice(0, 15)}${randomBytes(2).toString("hex")}`;
  const infraEnv = { ...compareInfraEnv, ...options.infraEnv };
  const release = acquireRunLock(path.join(infraEnv.STATELAB_HOME, "compare.lock"), "statelab compare");
  const progress = options.silent ? silentProgress : createProgress();
  const lab = await openLab({
    log: (line) => progress.log(`[infra] ${line}`),
    infraEnv,
  });
  const pool = new StackPool(lab, runId);
  const context = createContext(lab, pool, {
    log: (line) => progress.log(`  ${line}`),
    progress: (label, total) => progress.bar(label, total),
  });
  const results: ScenarioResult[] = [];
  let environment: Results["environment"];
  try {
    for (const [index, scenario] of chosen.entries()) {
      progress.log(`[${index + 1}/${chosen.length}] ${scenario.id}: ${scenario.title}`);
      const result = await runOne(scenario, context, pool, options.quick);
      results.push(result);
      progress.log(`  ${summaryLine(result)}`);
    }
    environment = await describeEnvironment(lab.infra, options.quick);
  } finally {
    progress.stop();
    await lab.close();
    await pool.closeRelays();
    release();
  }
  const finishedAt = new Date();
  const report: Results = {
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    environment,
    scenarios: results,
  };
  const matrix = buildFaultMatrix(results);
  if (matrix) report.faultMatrix = matrix;
  const dir = path.join(options.outDir, startedAt.toISOString().replace(/[:.]/g, "-"));
  const files = await writeReport(dir, report);
  print(`\nreport: ${files.html}\n        ${files.markdown}\n        ${files.json}`);
  print(`took ${formatDuration(report.durationMs)}`);
  return { results: report, dir, files };
}

function summaryLine(result: ScenarioResult): string {
  if (result.error) return `✗ ${result.id} failed: ${result.error}`;
  const held = result.invariants.filter((i) => i.holds).length;
  const mark = held === result.invariants.length ? "✓" : "✗";
  return `${mark} ${result.id}: ${held}/${result.invariants.length} invariants hold (${formatDuration(result.durationMs)})`;
}

/** True when every scenario ran and every invariant held. */
export const allHeld = (results: Results) =>
  results.scenarios.every((s) => !s.error && s.invariants.every((i) => i.holds));
