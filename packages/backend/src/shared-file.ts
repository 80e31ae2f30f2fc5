import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Creates `file` with `content` unless it exists, atomically: the content goes
 * to a temp file that is then hard-linked into place. link() fails with EEXIST
 * for every instance but the first, and no reader ever sees a half-written file
 * (a plain `wx` write can be read while it is still empty). Returns what the
 * file holds afterwards, whoever wrote it.
 */
export function createFileOnce(file: string, content: string): string {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temp, content, { mode: 0o600 });
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  return readFileSync(file, "utf8");
}
