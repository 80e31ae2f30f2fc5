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

/**
 * Starts one backend (`apps/<app>/src/main.ts`) as a real process on 127.0.0.1
 * and waits until /readyz answers. Env comes only from `env` plus PATH/HOME,
 * so a developer's shell cannot leak into a test.
 */
export async function startInstance(app: "stateful" | "stateless", env: Record<string, string>, timeoutMs = 30_000) {
  const port = env.PORT;
  if (!port) throw new Error("startInstance: env.PORT is required");
  const child = spawn(process.execPath, ["--import", "tsx", path.join(projectRoot, "apps", app, "src", "main.ts")], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${app} on ${port} not ready after ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const instance: RunningInstance = {
    url,
    pid: child.pid as number,
    child,
    output: () => output,
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
