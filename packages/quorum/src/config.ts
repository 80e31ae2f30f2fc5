import { QuorumConfigError } from "./errors.js";

/** N replicas, R replies for a read, W acknowledgements for a write. */
export interface QuorumSpec {
  n: number;
  r: number;
  w: number;
}

/** A validated spec, and what it promises. */
export interface Quorum extends QuorumSpec {
  /** R + W ≤ N: a read quorum can miss every replica of the latest acknowledged write. */
  mayReadStale: boolean;
  /** W ≤ N/2: two disjoint halves can both accept writes (the versions decide which survives). */
  splitBrainWrites: boolean;
  /**
   * Replies a write first needs to learn the highest version: N − W + 1, the smallest set
   * that meets every write quorum, or R when that is fewer (only when R + W ≤ N: then the
   * lookup can miss the latest write, as a read can, and a later write may lose to it).
   */
  versionQuorum: number;
}

/** The seed's presets; each fills R and W for a given N. */
export const presets = {
  /** Read one, write all: fast reads, a write stops when any replica is down. */
  "read-one-write-all": (n: number) => ({ n, r: 1, w: n }),
  /** Write one, read all: the reverse. */
  "read-all-write-one": (n: number) => ({ n, r: n, w: 1 }),
  /** Majorities both ways: survives the loss of a minority for reads and writes. */
  majority: (n: number) => ({ n, r: Math.floor(n / 2) + 1, w: Math.floor(n / 2) + 1 }),
  /** Writes to more than 2/3, reads from more than 1/3. */
  "two-thirds": (n: number) => ({ n, r: Math.floor(n / 3) + 1, w: Math.floor((2 * n) / 3) + 1 }),
} as const satisfies Record<string, (n: number) => QuorumSpec>;

export type PresetName = keyof typeof presets;

export const isPresetName = (name: string): name is PresetName => Object.hasOwn(presets, name);

const isCount = (value: number) => Number.isInteger(value) && value >= 1;

/** Checks N, R and W; throws one QuorumConfigError naming every problem. */
export function resolveQuorum(spec: QuorumSpec): Quorum {
  const { n, r, w } = spec;
  const problems: string[] = [];
  if (!isCount(n)) problems.push(`N must be a whole number ≥ 1 (got ${n})`);
  for (const [name, value] of [
    ["R", r],
    ["W", w],
  ] as const) {
    if (!isCount(value)) problems.push(`${name} must be a whole number ≥ 1 (got ${value})`);
    else if (isCount(n) && value > n) problems.push(`${name} = ${value} is more than the ${n} replicas (N)`);
  }
  if (problems.length > 0) throw new QuorumConfigError(problems);
  return { n, r, w, mayReadStale: r + w <= n, splitBrainWrites: 2 * w <= n, versionQuorum: Math.min(r, n - w + 1) };
}

/** "N=3 R=2 W=2" — how a spec is shown in logs and reports. */
export const describeQuorum = ({ n, r, w }: QuorumSpec): string => `N=${n} R=${r} W=${w}`;
