import type { RedisClientType as RedisClient } from "redis";
import { createCounters } from "./counters.js";

export interface SignupLimits {
  /** Signups per client address in a window. */
  maxPerIp: number;
  /** Signups across every address in a window: what a distributed flood can create at most. */
  maxGlobal: number;
  windowSeconds: number;
}

export const DEFAULT_SIGNUP_LIMITS: Readonly<SignupLimits> = Object.freeze({
  maxPerIp: 30,
  maxGlobal: 600,
  windowSeconds: 15 * 60,
});

export interface SignupLimit {
  /** Takes a signup's point from its address and from the global count, atomically; 429 + Retry-After when either is used up. */
  reserve(ip: string): Promise<void>;
}

/**
 * Signup is the other way in to argon2 (one hash per account created) and to account
 * spam, so it is counted per address and globally in the shared Redis, before anything is
 * hashed. Every valid attempt counts, a taken name (409) too: that answer tells whether a
 * name exists, which is worth bounding as well. Fails closed (503) when Redis cannot say.
 */
export function createSignupLimit(
  options: { redis: RedisClient; keyPrefix: string } & Partial<SignupLimits>,
): SignupLimit {
  const limits = {
    maxPerIp: options.maxPerIp ?? DEFAULT_SIGNUP_LIMITS.maxPerIp,
    maxGlobal: options.maxGlobal ?? DEFAULT_SIGNUP_LIMITS.maxGlobal,
    windowSeconds: options.windowSeconds ?? DEFAULT_SIGNUP_LIMITS.windowSeconds,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1)
      throw new TypeError(`createSignupLimit: ${name} must be a positive integer`);
  }
  const counters = createCounters(options.redis);
  const windowMs = limits.windowSeconds * 1000;
  return {
    reserve: (ip) =>
      counters.reserve([
        { key: `${options.keyPrefix}signup:ip:${ip}`, limit: limits.maxPerIp, windowMs },
        { key: `${options.keyPrefix}signup:all`, limit: limits.maxGlobal, windowMs },
      ]),
  };
}
