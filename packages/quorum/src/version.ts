/**
 * A write's version: a counter, then the writer's id to order two writers that picked
 * the same counter. Every replica keeps the highest version it has seen, so versions
 * only grow on each replica.
 */
export interface Version {
  counter: number;
  writer: string;
}

/** Negative when a < b; null (nothing stored) is lower than every version. */
export function compareVersions(a: Version | null, b: Version | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (a.counter !== b.counter) return a.counter - b.counter;
  return a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : 0;
}

/** "7@w-3f2a" — a version in one token, for logs and histories. */
export const formatVersion = (v: Version | null): string => (v === null ? "none" : `${v.counter}@${v.writer}`);
