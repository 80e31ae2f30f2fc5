import { QuorumUnavailableError, type ReplicaFailure } from "./errors.js";
import type { Replica } from "./replica.js";
import type { Version } from "./version.js";

export interface Reply<T> {
  replica: Replica;
  value: T;
}

export interface Gathered<T> {
  /** The replies that made the quorum (at least `needed`). */
  replies: Reply<T>[];
  /** Every reply, the late ones too, once each replica has answered, failed or timed out. */
  all: Promise<Reply<T>[]>;
}

class TimeoutError extends Error {}

/** `call`, failing with TimeoutError at the deadline (a late reply is then dropped). */
function bounded<T>(call: () => Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError()), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([call(), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Sends `call` to every replica and resolves with the first `needed` replies. Rejects
 * with QuorumUnavailableError as soon as too many replicas failed for `needed` to be
 * reached, or when the deadline passes first — never with fewer replies than needed.
 * Each call is bounded by the deadline too, so `all` always settles.
 */
export function gather<T>(
  replicas: readonly Replica[],
  call: (replica: Replica) => Promise<T>,
  options: {
    needed: number;
    deadline: number;
    operation: "read" | "write";
    /** The version this call writes; null when it changes nothing (reads, a write's version lookup). */
    writes: Version | null;
  },
): Promise<Gathered<T>> {
  const { needed, operation } = options;
  const replies: Reply<T>[] = [];
  const failures: ReplicaFailure[] = [];
  let timedOut = 0;
  return new Promise<Gathered<T>>((resolve, reject) => {
    let settled = false;
    const check = () => {
      if (settled) return;
      if (replies.length >= needed) {
        settled = true;
        resolve({ replies: [...replies], all: all.then(() => replies) });
      } else if (failures.length > replicas.length - needed) {
        settled = true;
        reject(
          new QuorumUnavailableError({
            operation,
            needed,
            answered: replies.length,
            failures: [...failures],
            // A write that reached a replica, or whose fate is unknown (timed out), may have taken effect.
            maybeApplied: options.writes !== null && (replies.length > 0 || timedOut > 0),
            version: options.writes,
          }),
        );
      }
    };
    const all = Promise.all(
      replicas.map((replica) =>
        bounded(() => call(replica), options.deadline).then(
          (value) => {
            replies.push({ replica, value });
            check();
          },
          (error: unknown) => {
            const isTimeout = error instanceof TimeoutError;
            if (isTimeout) timedOut++;
            failures.push({ replica: replica.name, reason: isTimeout ? "timed out" : errorText(error) });
            check();
          },
        ),
      ),
    );
  });
}

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
