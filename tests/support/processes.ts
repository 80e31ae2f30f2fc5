import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { projectRoot } from "@statelab/infra";

export interface RunningInstance {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Everything the process printed so far (JSON log lines). */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

/** A TypeScript entry point running as a real process, with everything it printed so far. */
export interface SpawnedProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Runs `node --import tsx <file> …args` from the repo root. Env comes only from
 * `env` plus PATH/HOME, so a developer's shell cannot leak into a test.
 */
export function spawnTsx(file: string, args: string[], env: Record<string, string>): SpawnedProcess {
  const child = spawn(process.execPath, ["--import", "tsx", file, ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk;
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * Starts one backend (`apps/<app>/src/main.ts`) as a real process on 127.0.0.1
 * and waits until /readyz answers. Env comes only from `env` plus PATH/HOME,
 * so a developer's shell cannot leak into a test.
 */
export async function startInstance(app: "stateful" | "stateless", env: Record<string, string>, timeoutMs = 30_000) {
  const port = env.PORT;
  if (!port) throw new Error("startInstance: env.PORT is required");
  const {
    child,
    output: printed,
    exited,
  } = spawnTsx(path.join(projectRoot, "apps", app, "src", "main.ts"), [], {
    LOG_LEVEL: "warn",
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}:\n${printed()}`);
    const ready = await fetch(`${url}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${app} on ${port} not ready after ${timeoutMs} ms:\n${printed()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const instance: RunningInstance = {
    url,
    pid: child.pid as number,
    child,
    output: printed,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  return instance;
}
