#!/usr/bin/env node
import { allChecks } from "@statelab/check";
import { strategyNames } from "@statelab/proxy";
/**
 * statelab — run, break and measure stateful vs stateless auth.
 * Exit codes: 0 done; 1 a command failed (or a comparison's invariant broke); 2 bad usage.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { check, UsageError } from "./check.js";
import { allHeld, compare, defaultReportsDir, selectScenarios } from "./compare/compare.js";
import {
  ControlError,
  FaultClientError,
  faultKinds,
  faultUsage,
  labDashboardUrl,
  parseDuration,
  parseFaultRequest,
  parseLabUrl,
  sendFault,
} from "./live/control/index.js";
import { up } from "./live/up.js";
import { scenarios } from "./scenarios/index.js";

const int = (min: number, max: number) => (raw: string) => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
  }
  return value;
};

const envPair = (raw: string, previous: Record<string, string>) => {
  const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(raw);
  if (!match) throw new InvalidArgumentError("must be NAME=value");
  return { ...previous, [match[1] as string]: match[2] as string };
};

/** Drops the flags that were not given, so the apps' own defaults apply. */
const defined = (entries: Record<string, string | number | undefined>) =>
  Object.fromEntries(
    Object.entries(entries)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, String(value)]),
  );

const program = new Command()
  .name("statelab")
  .description("Run, break and measure stateful (session) vs stateless (JWT) web authentication side by side.")
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 1 ? 2 : error.exitCode));

program
  .command("up")
  .description("start Postgres, Redis, both stacks and their load balancers; print URLs; run until Ctrl-C")
  .addOption(new Option("--stateful <n>", "stateful instances").argParser(int(1, 9)).default(3))
  .addOption(new Option("--stateless <n>", "stateless instances").argParser(int(1, 9)).default(3))
  .addOption(
    new Option("--stateful-strategy <name>", "load-balancing strategy of the stateful stack")
      .choices(strategyNames)
      .default("sticky-cookie"),
  )
  .addOption(
    new Option("--stateless-strategy <name>", "load-balancing strategy of the stateless stack")
      .choices(strategyNames)
      .default("round-robin"),
  )
  .addOption(
    new Option("--lb <kind>", "load balancer in front of each stack")
      .choices(["builtin", "haproxy"])
      .default("builtin"),
  )
  .addOption(new Option("--session-store <store>", "stateful: SESSION_STORE").choices(["redis", "memory", "quorum"]))
  .addOption(new Option("--session-state <state>", "stateful: SESSION_STATE").choices(["soft", "hard"]))
  .addOption(
    new Option("--session-cache <seconds>", "stateful: SESSION_CACHE (signed snapshot cookie)").argParser(int(1, 3600)),
  )
  .addOption(
    new Option("--auth-binding <kind>", "stateful: AUTH_BINDING (connection is an INSECURE demo)").choices([
      "cookie",
      "connection",
    ]),
  )
  .addOption(new Option("--session-ttl <seconds>", "stateful: SESSION_TTL").argParser(int(1, 86_400)))
  .addOption(new Option("--revocation <kind>", "stateless: REVOCATION").choices(["denylist", "none"]))
  .addOption(new Option("--access-ttl <seconds>", "stateless: ACCESS_TTL").argParser(int(1, 86_400)))
  .option("--stateful-env <NAME=value>", "any other env var for the stateful instances (repeatable)", envPair, {})
  .option("--stateless-env <NAME=value>", "any other env var for the stateless instances (repeatable)", envPair, {})
  .addOption(
    new Option("--port-offset <n>", "add n to every port (run a second lab beside the first)")
      .argParser(int(0, 50_000))
      .default(0),
  )
  .option("--free-ports", "take every port from the kernel instead (the banner says which)", false)
  .action(async (opts) => {
    await up({
      freePorts: opts.freePorts,
      stateful: opts.stateful,
      stateless: opts.stateless,
      statefulStrategy: opts.statefulStrategy,
      statelessStrategy: opts.statelessStrategy,
      lb: opts.lb,
      portOffset: opts.portOffset,
      statefulEnv: {
        ...defined({
          SESSION_STORE: opts.sessionStore,
          SESSION_STATE: opts.sessionState,
          SESSION_CACHE: opts.sessionCache,
          AUTH_BINDING: opts.authBinding,
          SESSION_TTL: opts.sessionTtl,
        }),
        ...opts.statefulEnv,
      },
      statelessEnv: {
        ...defined({ REVOCATION: opts.revocation, ACCESS_TTL: opts.accessTtl }),
        ...opts.statelessEnv,
      },
    });
  });

program
  .command("fault")
  .description("break the running lab (`statelab up`) by hand, as the dashboard's buttons do")
  .argument("<kind>", faultKinds.join(" | "))
  .argument("<target>", "an instance (stateful-2), a proxy (proxy-stateless), a stack, redis or postgres")
  .argument("[value]", "the strategy or the store, for `strategy` and `store`")
  .option("--for <duration>", "undo it after this long: 5s, 500ms, 2m")
  .addOption(
    new Option("--port-offset <n>", "the --port-offset the lab was started with").argParser(int(0, 50_000)).default(0),
  )
  .option("--url <url>", "the lab's dashboard URL (the banner's `dashboard` line); wins over --port-offset")
  .addHelpText("after", `\nFaults:\n${faultKinds.map((kind) => `  ${faultUsage[kind]}`).join("\n")}`)
  .action(async (kind: string, target: string, value: string | undefined, opts) => {
    let request: ReturnType<typeof parseFaultRequest>;
    let baseUrl: string;
    try {
      const forMs = opts.for === undefined ? null : parseDuration(opts.for);
      request = parseFaultRequest({ kind, target, value: value ?? null, forMs });
      baseUrl = opts.url === undefined ? labDashboardUrl(opts.portOffset) : parseLabUrl(opts.url);
    } catch (error) {
      if (error instanceof ControlError || error instanceof FaultClientError) {
        program.error(`statelab fault: ${error.message}`, { exitCode: 2 });
      }
      throw error;
    }
    try {
      const fault = await sendFault(baseUrl, request);
      const undo = fault.undoAt
        ? `; undone by itself at ${new Date(fault.undoAt).toISOString().slice(11, 19)} UTC`
        : "";
      console.log(`fault ${fault.id}: ${fault.detail}${undo}`);
    } catch (error) {
      if (!(error instanceof FaultClientError)) throw error;
      console.error(`statelab fault: ${error.message}`);
      process.exitCode = error.isUsage ? 2 : 1;
    }
  });

program
  .command("compare")
  .description("run scenarios against both stacks and write reports/<time>/report.{md,html} and results.json")
  .option("--scenario <id...>", `scenarios to run (default: all): ${scenarios.map((s) => s.id).join(", ")}`, [])
  .option("--quick", "short runs: all 21 scenarios in about 6 minutes on 2 cores", false)
  .option("--out <dir>", "where reports/<time>/ goes", defaultReportsDir)
  .option("--list", "list the scenarios and exit", false)
  .action(async (opts) => {
    if (opts.list) {
      for (const s of scenarios) console.log(`${s.id.padEnd(20)} ${s.title}\n${"".padEnd(20)} ${s.question}`);
      return;
    }
    try {
      selectScenarios(opts.scenario);
    } catch (error) {
      program.error(`statelab compare: ${(error as Error).message}`, { exitCode: 2 });
    }
    const { results } = await compare({ scenarios: opts.scenario, quick: opts.quick, outDir: opts.out });
    if (!allHeld(results)) {
      console.error("statelab compare: a scenario failed or an invariant did not hold (see the report)");
      process.exitCode = 1;
    }
  });

const checkCommand = program
  .command("check")
  .description("run the contract and attack checks against an auth server (yours or statelab's); exit 1 on any failure")
  .argument("[base-url]", "where the server is, e.g. http://127.0.0.1:8082")
  .addOption(
    new Option("--kind <kind>", "how it authenticates: session cookie or bearer token").choices(["cookie", "bearer"]),
  )
  .option("--mapping <file>", "JSON file mapping routes, fields and error codes onto your API (README)")
  .option("--user <name>", "log in as this existing account instead of signing users up")
  .option("--password <password>", "the password of --user")
  .option("--signing-key <file>", "the server's private signing key (PEM, JWK, JWKS), for the forged-claims checks")
  .option("--only <id...>", "run only these checks", [])
  .option("--skip <id...>", "leave these checks out", [])
  .option("--json", "print the results as JSON on stdout (the table goes to stderr)", false)
  .option("--junit <file>", "also write the results as JUnit XML")
  .option("--list", "list the checks and exit", false)
  .action(async (baseUrl: string | undefined, opts) => {
    if (opts.list) {
      for (const c of allChecks) console.log(`${c.id.padEnd(28)} ${c.kinds.join("+").padEnd(13)} ${c.title}`);
      return;
    }
    if (!baseUrl || !opts.kind) {
      return checkCommand.error("statelab check: give a base URL and --kind cookie|bearer", { exitCode: 2 });
    }
    try {
      process.exitCode = await check({
        baseUrl,
        kind: opts.kind,
        mappingFile: opts.mapping,
        user: opts.user,
        password: opts.password,
        signingKeyFile: opts.signingKey,
        only: opts.only,
        skip: opts.skip,
        json: opts.json,
        junitFile: opts.junit,
      });
    } catch (error) {
      if (error instanceof UsageError) checkCommand.error(`statelab check: ${error.message}`, { exitCode: 2 });
      throw error;
    }
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`statelab: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
