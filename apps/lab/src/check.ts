import { writeFileSync } from "node:fs";
import {
  type CheckResult,
  type CheckTarget,
  formatJson,
  formatJunit,
  idWidthOf,
  type Kind,
  loadMapping,
  loadSigningKeys,
  runChecks,
  selectChecks,
  summarize,
  summaryLine,
  tableLines,
} from "@statelab/check";

export interface CheckCommandOptions {
  baseUrl: string;
  kind: Kind;
  mappingFile?: string;
  user?: string;
  password?: string;
  signingKeyFile?: string;
  only: string[];
  skip: string[];
  json: boolean;
  junitFile?: string;
}

/** A mistake in how the command was called: exit 2, not 1. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

function targetOf(options: CheckCommandOptions): CheckTarget {
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new UsageError(`not a URL: ${options.baseUrl}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError("the URL must be http: or https:");
  if ((options.user === undefined) !== (options.password === undefined)) {
    throw new UsageError("--user and --password go together");
  }
  const fromFile = <T>(what: string, file: string | undefined, load: (file: string) => T): T | undefined => {
    if (file === undefined) return undefined;
    try {
      return load(file);
    } catch (error) {
      throw new UsageError(`${what}: ${(error as Error).message}`);
    }
  };
  const mapping = fromFile("--mapping", options.mappingFile, loadMapping);
  const signingKeys = fromFile("--signing-key", options.signingKeyFile, loadSigningKeys);
  return {
    baseUrl: options.baseUrl,
    kind: options.kind,
    ...(mapping ? { mapping } : {}),
    ...(signingKeys ? { signingKeys } : {}),
    ...(options.user !== undefined ? { user: { username: options.user, password: options.password as string } } : {}),
  };
}

/**
 * `statelab check <url>`: every check for the kind, one after another, the table
 * printed as results arrive (to stderr with --json, which owns stdout). Resolves
 * to the exit code: 0 when nothing failed, 1 otherwise.
 */
export async function check(options: CheckCommandOptions): Promise<number> {
  const target = targetOf(options);
  let checks: ReturnType<typeof selectChecks>;
  try {
    checks = selectChecks(options.kind, options.only, options.skip);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const print = options.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  print(
    `statelab check ${target.baseUrl} --kind ${target.kind}: ${checks.length} check${checks.length === 1 ? "" : "s"}`,
  );
  const width = idWidthOf(checks);
  let previous: CheckResult | undefined;
  const start = performance.now();
  const results = await runChecks(target, checks, (result) => {
    for (const line of tableLines(result, previous, width)) print(line);
    previous = result;
  });
  const summary = summarize(results, Math.round(performance.now() - start));
  print("");
  print(summaryLine(summary));
  const where = { baseUrl: target.baseUrl, kind: target.kind };
  if (options.json) console.log(formatJson(where, results, summary));
  if (options.junitFile) writeFileSync(options.junitFile, formatJunit(where, results));
  return summary.failed > 0 ? 1 : 0;
}
