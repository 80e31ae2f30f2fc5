import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "@statelab/infra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReferenceServer, startReferenceServer } from "../../../packages/check/src/testing/reference-server.js";

const run = promisify(execFile);
const binFile = path.join(projectRoot, "apps", "lab", "bin", "statelab.js");

/** `statelab check …` as a user runs it from a clone (the bin that `npx statelab` runs). */
function statelabCheck(args: string[]) {
  return run(process.execPath, [binFile, "check", ...args], { cwd: projectRoot }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

const dir = mkdtempSync(path.join(os.tmpdir(), "statelab-check-"));
let reference: ReferenceServer;
let noThrottle: ReferenceServer;
let keyFile: string;

beforeAll(async () => {
  [reference, noThrottle] = await Promise.all([
    startReferenceServer("bearer"),
    startReferenceServer("cookie", { without: "rateLimit" }),
  ]);
  // A JWK set of private keys: one of the formats --signing-key reads.
  keyFile = path.join(dir, "keys.json");
  const keys = reference.signingKeys.map((k) => ({ ...k.key.export({ format: "jwk" }), kid: k.kid, alg: k.alg }));
  writeFileSync(keyFile, JSON.stringify({ keys }));
});
afterAll(async () => {
  await Promise.all([reference?.close(), noThrottle?.close()]);
});

describe("statelab check", () => {
  it("a sound server → exit 0; --json on stdout and --junit in a file agree, every check run", async () => {
    const junit = path.join(dir, "report.xml");
    const res = await statelabCheck([
      reference.url,
      "--kind",
      "bearer",
      "--signing-key",
      keyFile,
      "--json",
      "--junit",
      junit,
    ]);
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report.summary).toMatchObject({ failed: 0, skipped: 0 });
    expect(report.summary.passed).toBeGreaterThanOrEqual(40);
    expect(res.stderr).toMatch(/^tokens$/m); // the table went to stderr, grouped by area
    const xml = readFileSync(junit, "utf8");
    expect(xml.match(/<testcase /g)).toHaveLength(report.summary.total);
    expect(xml).not.toMatch(/<failure|<skipped/);
  }, 120_000);

  it("a missing defence → exit 1 and a FAIL line naming the check and the reason; --only narrows the run", async () => {
    const res = await statelabCheck([
      noThrottle.url,
      "--kind",
      "cookie",
      "--only",
      "contract.login",
      "login.rate-limit",
    ]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/pass {2}contract\.login/);
    expect(res.stdout).toMatch(
      /FAIL {2}login\.rate-limit .*\n.*→ 20 failed logins in a row for one username, never a 429/,
    );
    expect(res.stdout).toMatch(/2 checks: 1 passed, 1 failed, 0 skipped/);
  }, 60_000);

  it("without --signing-key the forged-claims checks are skipped, not passed", async () => {
    const res = await statelabCheck([reference.url, "--kind", "bearer", "--only", "tokens.expired", "--json"]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).results).toEqual([
      expect.objectContaining({ id: "tokens.expired", status: "skip", reason: expect.stringMatching(/--signing-key/) }),
    ]);
  }, 60_000);

  it("bad usage → exit 2 with one clear line", async () => {
    const cases: [string[], RegExp][] = [
      [[reference.url], /give a base URL and --kind/],
      [["ftp://127.0.0.1", "--kind", "bearer"], /must be http: or https:/],
      [[reference.url, "--kind", "token"], /--kind/],
      [[reference.url, "--kind", "bearer", "--only", "no.such-check"], /unknown check id: no\.such-check/],
      [[reference.url, "--kind", "bearer", "--user", "ada"], /--user and --password go together/],
      [[reference.url, "--kind", "bearer", "--mapping", path.join(dir, "missing.json")], /--mapping: .*ENOENT/],
    ];
    // In parallel: each is a process start, and nothing else.
    const results = await Promise.all(cases.map(([args]) => statelabCheck(args)));
    for (const [i, [args, message]] of cases.entries()) {
      expect({ args, code: results[i]?.code }).toEqual({ args, code: 2 });
      expect(results[i]?.stderr).toMatch(message);
    }
  }, 120_000);
});
