import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import path from "node:path";
import { projectRoot } from "@statelab/infra";

/** How to run one process of the topology and how to tell it is ready. */
export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Resolves true once the process serves; polled until `readyTimeoutMs`. */
  isReady(): Promise<boolean>;
  readyTimeoutMs?: number;
  /** Everything the process prints is appended here (the console stays readable). */
  logFile?: string;
}

const outputTailBytes = 32 * 1024;

/** `node --import tsx <file>`: how every TypeScript entry point of the repo runs. */
export function tsxCommand(file: string): { command: string; args: string[] } {
  return { command: process.execPath, args: ["--import", "tsx", path.join(projectRoot, file)] };
}

/**
 * One supervised process: start and wait until ready, crash (SIGKILL), pause
 * (SIGSTOP), resume, stop gracefully (SIGTERM, then SIGKILL), restart. Children
 * run in their own process group so a terminal's Ctrl-C reaches only the lab,
 * which then stops them in order.
 */
export class Child {
  readonly spec: ChildSpec;
  private process: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  private tail = "";
  private log: WriteStream | undefined;
  isPaused = false;
  /** The last exit was asked for (crash, stop): nobody needs to be told it happened. */
  isExitRequested = false;

  constructor(spec: ChildSpec) {
    this.spec = spec;
  }

  get pid(): number | undefined {
    return this.isRunning ? this.process?.pid : undefined;
  }

  get isRunning(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Resolves when the current process has exited (at once if none runs). */
  waitExit(): Promise<unknown> {
    return this.exited;
  }

  /** The last 32 KiB the process printed. */
  output(): string {
    return this.tail;
  }

  async start(): Promise<void> {
    if (this.isRunning) return;
    const { spec } = this;
    if (spec.logFile && !this.log) {
      mkdirSync(path.dirname(spec.logFile), { recursive: true });
      this.log = createWriteStream(spec.logFile, { flags: "a" });
    }
    const child = spawn(spec.command, spec.args, {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...spec.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.process = child;
    this.isPaused = false;
    this.isExitRequested = false;
    this.exited = once(child, "exit").catch(() => {});
    const collect = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString()).slice(-outputTailBytes);
      this.log?.write(chunk);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    child.on("error", (error) => collect(Buffer.from(`${spec.name}: ${error.message}\n`)));
    await this.waitReady(child);
  }

  private async waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + (this.spec.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${this.spec.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${this.tail}`,
        );
      }
      if (await this.spec.isReady().catch(() => false)) return;
      if (Date.now() > deadline) {
        this.signal("SIGKILL");
        throw new Error(
          `${this.spec.name} was not ready after ${this.spec.readyTimeoutMs ?? 30_000} ms:\n${this.tail}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Sends a signal to the process group; a process that is gone is ignored. */
  signal(signal: NodeJS.Signals): void {
    const pid = this.process?.pid;
    if (pid === undefined || !this.isRunning) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone between the check and the kill.
    }
  }

  /** kill -9: no shutdown hook runs, in-flight requests die with it. */
  async crash(): Promise<void> {
    if (!this.isRunning) return;
    this.isExitRequested = true;
    this.signal("SIGKILL");
    await this.exited;
  }

  pause(): void {
    this.signal("SIGSTOP");
    this.isPaused = true;
  }

  resume(): void {
    this.signal("SIGCONT");
    this.isPaused = false;
  }

  /** SIGTERM (graceful), then SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.isRunning) return;
    this.isExitRequested = true;
    this.resume();
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Changes the environment of the next start; a running process keeps the one it has. */
  updateEnv(changes: Record<string, string>): void {
    Object.assign(this.spec.env, changes);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** For the process's `exit` handler: nothing async may run there. */
  killNow(): void {
    this.signal("SIGCONT");
    this.signal("SIGKILL");
  }

  closeLog(): void {
    this.log?.end();
    this.log = undefined;
  }
}

/**
 * Owns every child the lab starts: stops them all (in parallel: each finishes
 * its in-flight requests) and, as a last resort, SIGKILLs whatever still runs
 * when the lab process exits, so no orphan outlives it.
 */
export class Supervisor {
  private readonly children: Child[] = [];
  private readonly killOnExit = () => {
    for (const child of this.children) child.killNow();
  };

  constructor() {
    process.on("exit", this.killOnExit);
  }

  add(spec: ChildSpec): Child {
    const child = new Child(spec);
    this.children.push(child);
    return child;
  }

  list(): readonly Child[] {
    return this.children;
  }

  async stopAll(graceMs = 5000): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        await child.stop(graceMs);
        child.closeLog();
      }),
    );
    this.children.length = 0;
    process.off("exit", this.killOnExit);
  }
}
