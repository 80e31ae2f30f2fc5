import type { Log } from "./system.js";

export interface ServiceOptions {
  /** Project-local folder for data, pid and log files (git-ignored). */
  stateDir: string;
  port: number;
  log: Log;
}

/** A server statelab uses: one it started, one it found running, or an external URL. */
export interface Service {
  name: "postgres" | "redis";
  url: string;
  pid: number | null;
  /** True when this call started the server; `stop()` of an infra stops only those. */
  startedHere: boolean;
  stop(): Promise<void>;
}
