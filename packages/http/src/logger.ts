import { type Logger, pino } from "pino";

/** Secrets that must never reach a log line (SECURITY.md S10). */
const REDACT = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  "password",
  "*.password",
  "refreshToken",
  "*.refreshToken",
  "accessToken",
  "*.accessToken",
];

export function createLogger(options: { name: string; instanceId: string; level?: string }): Logger {
  return pino({
    name: options.name,
    level: options.level ?? "info",
    base: { instance: options.instanceId },
    redact: { paths: REDACT, censor: "[redacted]" },
  });
}

export type { Logger };
