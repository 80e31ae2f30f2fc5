import { RateLimitedError, ServerBusyError } from "@statelab/http";

/** Which queue a hash waits in, and on whose behalf. */
export interface HashTicket {
  /** `known`: a device that once logged in to this account (device cookie); `anonymous`: anyone else. */
  lane: "known" | "anonymous";
  /** The device id (known lane) or the client address (anonymous lane): the unit of fairness. */
  client: string;
}

export interface HashQueueOptions {
  /**
   * Hashes running at once per lane in this process (argon2 is CPU-bound: about one per
   * core). Each lane has its own slots, so a known device never waits for a flood's hash to finish.
   */
  concurrency: number;
  /** Hashes waiting per lane; one more is answered 503 server_busy at once. */
  maxQueued: number;
  /** Hashes one client may have running or waiting; one more is answered 429 at once. */
  maxPerClient: number;
  /** A hash that waited this long is not started: its client has likely given up (503). */
  maxWaitMs: number;
}

export interface HashQueue {
  /** Runs `work` (one argon2 operation) when a slot frees, or refuses at once when the queue is full. */
  run<T>(ticket: HashTicket, work: () => Promise<T>): Promise<T>;
  stats(): { running: { known: number; anonymous: number }; queued: { known: number; anonymous: number } };
}

interface Job {
  ticket: HashTicket;
  queuedAt: number;
  start(): void;
  refuse(error: Error): void;
}

/** Waiting jobs per client, served round-robin: a client with many requests waits its turn. */
class FairLane {
  readonly #byClient = new Map<string, Job[]>();
  size = 0;

  push(job: Job): void {
    const jobs = this.#byClient.get(job.ticket.client);
    if (jobs) jobs.push(job);
    else this.#byClient.set(job.ticket.client, [job]);
    this.size++;
  }

  shift(): Job | undefined {
    const first = this.#byClient.entries().next();
    if (first.done) return undefined;
    const [client, jobs] = first.value;
    const job = jobs.shift() as Job;
    // Re-inserting moves the client to the back of the round.
    this.#byClient.delete(client);
    if (jobs.length > 0) this.#byClient.set(client, jobs);
    this.size--;
    return job;
  }
}

/**
 * The bounded queue in front of every argon2 operation (login, the dummy verify for
 * unknown users, signup, rehash). A flood of hashes cannot pile up into requests that
 * wait until the proxy answers 504: past the bounds the answer comes at once — 429 for a
 * client over its share, 503 for a full queue — with Retry-After. Known devices have a
 * lane with slots of its own, and within each lane clients take turns, so neither a flood
 * from many addresses nor one from a single address starves a returning user. Unknown
 * and known usernames take the same path through it (A4).
 */
export function createHashQueue(options: HashQueueOptions): HashQueue {
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isInteger(value) || value < 1)
      throw new TypeError(`createHashQueue: ${name} must be a positive integer`);
  }
  const lanes = { known: new FairLane(), anonymous: new FairLane() };
  const running = { known: 0, anonymous: 0 };
  const perClient = new Map<string, number>();

  const clientKey = (ticket: HashTicket) => `${ticket.lane}:${ticket.client}`;
  const leave = (ticket: HashTicket) => {
    const key = clientKey(ticket);
    const left = (perClient.get(key) ?? 1) - 1;
    if (left === 0) perClient.delete(key);
    else perClient.set(key, left);
  };

  function next(lane: HashTicket["lane"]): void {
    while (running[lane] < options.concurrency) {
      const job = lanes[lane].shift();
      if (!job) return;
      if (Date.now() - job.queuedAt > options.maxWaitMs) {
        job.refuse(new ServerBusyError());
        continue;
      }
      job.start();
    }
  }

  return {
    run<T>(ticket: HashTicket, work: () => Promise<T>): Promise<T> {
      const key = clientKey(ticket);
      if ((perClient.get(key) ?? 0) >= options.maxPerClient) return Promise.reject(new RateLimitedError(1));
      const lane = lanes[ticket.lane];
      const mustWait = running[ticket.lane] >= options.concurrency;
      if (mustWait && lane.size >= options.maxQueued) return Promise.reject(new ServerBusyError());
      perClient.set(key, (perClient.get(key) ?? 0) + 1);
      return new Promise<T>((resolve, reject) => {
        const job: Job = {
          ticket,
          queuedAt: Date.now(),
          start() {
            running[ticket.lane]++;
            work()
              .then(resolve, reject)
              .finally(() => {
                running[ticket.lane]--;
                leave(ticket);
                next(ticket.lane);
              });
          },
          refuse(error) {
            leave(ticket);
            reject(error);
          },
        };
        if (mustWait) lane.push(job);
        else job.start();
      });
    },
    stats: () => ({ running: { ...running }, queued: { known: lanes.known.size, anonymous: lanes.anonymous.size } }),
  };
}
