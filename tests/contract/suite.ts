import { type CheckTarget, createCheckContext, type Kind, runCheck, selectChecks } from "@statelab/check";
import { serve } from "@statelab/http";
import type { Express } from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../support/index.js";

export interface CheckSuiteOptions {
  /** Shown in test names, e.g. "stateful in process". */
  name: string;
  kind: Kind;
  /** Where the server is (read after beforeAll has started it), and the signing keys for the forged-claims checks. */
  target: () => Omit<CheckTarget, "kind">;
}

/**
 * The API every statelab backend must serve, and the attacks it must refuse:
 * `statelab check`'s own checks (packages/check), one `it` each, run against a
 * backend by URL. The same code checks anyone's server from the CLI.
 */
export function defineCheckSuite(options: CheckSuiteOptions): void {
  describe(`checks: ${options.name}`, () => {
    let context: ReturnType<typeof createCheckContext> | undefined;
    beforeAll(() => {
      context = createCheckContext({ ...options.target(), kind: options.kind });
    });
    afterAll(() => context?.cleanup());

    for (const check of selectChecks(options.kind)) {
      it(`${check.id}: ${check.title}`, async () => {
        const result = await runCheck(check, (context as NonNullable<typeof context>).ctx);
        expect({ status: result.status, reason: result.reason }).toEqual({ status: "pass", reason: undefined });
      }, 70_000);
    }
  });
}

/** Serves an in-process app on a kernel-chosen loopback port for the file, the way main.ts would. */
export async function listenForFile(app: Express): Promise<string> {
  const running = await serve(app, { port: 0, logger: silentLogger });
  afterAll(() => running.close());
  return running.url;
}
