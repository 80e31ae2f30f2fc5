import { randomBytes } from "node:crypto";
import { authKindOf } from "../../compare/scenario.js";
import type { Stack } from "../../stack/stack.js";
import { LabUser } from "../../stack/users.js";

/** One GET /me of a demo user: who answered, and how. */
export interface DemoRequest {
  at: number;
  status: number;
  /** X-Instance-Id of the answer; null when none came (proxy down, timeout). */
  instance: string | null;
  /** error.code of a non-2xx answer, or the network error. */
  code: string | null;
}

export interface DemoUserView {
  stack: string;
  username: string | null;
  /** Logins so far: more than one means a session or token was lost. */
  logins: number;
  /** Newest last. */
  requests: DemoRequest[];
}

const keepRequests = 12;

/**
 * "Who am I on which instance": one user per stack asks GET /me once a tick and keeps
 * its last answers, so a person sees sticky routing, round-robin, and what a crash or a
 * store switch does to one session. A 401 makes it log in again, counted.
 */
export class DemoUsers {
  readonly #stacks: readonly Stack[];
  readonly #users = new Map<string, LabUser>();
  readonly #logins = new Map<string, number>();
  readonly #requests = new Map<string, DemoRequest[]>();
  readonly #run = randomBytes(3).toString("hex");
  #busy: Promise<void> | null = null;

  constructor(stacks: readonly Stack[]) {
    this.#stacks = stacks;
  }

  /** One GET /me per stack (skipped while the previous tick still runs). */
  tick(): Promise<void> {
    this.#busy ??= Promise.all(this.#stacks.map((stack) => this.#ask(stack))).then(() => {
      this.#busy = null;
    });
    return this.#busy;
  }

  view(): DemoUserView[] {
    return this.#stacks.map((stack) => ({
      stack: stack.label,
      username: this.#users.get(stack.label)?.username ?? null,
      logins: this.#logins.get(stack.label) ?? 0,
      requests: this.#requests.get(stack.label) ?? [],
    }));
  }

  async close(): Promise<void> {
    await this.#busy;
  }

  async #ask(stack: Stack): Promise<void> {
    const requests = this.#requests.get(stack.label) ?? [];
    this.#requests.set(stack.label, requests);
    const record = (request: DemoRequest) => {
      requests.push(request);
      if (requests.length > keepRequests) requests.shift();
    };
    try {
      const user = await this.#loggedIn(stack);
      const reply = await user.call(stack.url, "GET", "/me");
      record({ at: Date.now(), status: reply.status, instance: reply.instance, code: reply.code });
      if (reply.status === 401) await this.#login(stack, user);
    } catch (error) {
      record({ at: Date.now(), status: 0, instance: null, code: errorName(error) });
    }
  }

  async #loggedIn(stack: Stack): Promise<LabUser> {
    const existing = this.#users.get(stack.label);
    if (existing) return existing;
    const user = new LabUser(authKindOf(stack.app), `demo_${stack.label}_${this.#run}`, "demo-password-1");
    const signup = await user.signup(stack.url);
    // 409: an earlier tick signed it up, then could not log in.
    if (signup.status !== 201 && signup.status !== 409) throw new Error(`signup_${signup.status}`);
    await this.#login(stack, user);
    this.#users.set(stack.label, user);
    return user;
  }

  async #login(stack: Stack, user: LabUser): Promise<void> {
    await user.login(stack.url);
    this.#logins.set(stack.label, (this.#logins.get(stack.label) ?? 0) + 1);
  }
}

function errorName(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  if ((error as Error).name === "TimeoutError") return "timeout";
  return (error as Error).message.slice(0, 40);
}
