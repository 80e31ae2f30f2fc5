import type { Log } from "./system.js";

export interface ServiceOptions {
  /** Project-local folder for data, pid and log files (git-ignored). */
  stateDir: string;
  port: number;
  log: Log;
  /**
   * Aborting (Ctrl-C) makes a start that is under way stop the server it launched
   * once the launch has settled, and reject; a server it merely reused stays up.
   */
  signal?: AbortSignal;
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
