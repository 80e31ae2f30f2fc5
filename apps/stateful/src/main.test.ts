import { spawnSync } from "node:child_process";
import path from "node:path";
import { projectRoot } from "@statelab/infra";
import { describe, expect, it } from "vitest";

describe("main.ts", () => {
  it("a bad env value exits 1 with one clear line naming every bad variable, before connecting anywhere", () => {
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(projectRoot, "apps/stateful/src/main.ts")],
      {
        env: { PATH: process.env.PATH ?? "", SESSION_TTL: "soon", SESSION_STORE: "disk", PORT: "99999" },
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^stateful: invalid configuration: .*PORT.*SESSION_STORE.*SESSION_TTL/);
  });
});
