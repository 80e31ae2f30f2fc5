import { randomBytes } from "node:crypto";
import path from "node:path";
import { createFileOnce } from "./shared-file.js";

/**
 * A secret every instance shares (the session cookie's, the device cookie's): read from
 * `dir`, created once if absent. Two instances that start together agree: the
 * loser of the race reads the winner's file (createFileOnce).
 */
export function loadOrCreateSecret(dir: string, name = "session-secret"): string {
  const file = path.join(dir, name);
  const secret = createFileOnce(file, randomBytes(32).toString("base64url")).trim();
  if (secret.length < 32) throw new Error(`${file} holds a secret shorter than 32 characters`);
  return secret;
}
