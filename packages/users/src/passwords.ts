import { type Algorithm, hash, verify } from "@node-rs/argon2";

// Algorithm is an ambient const enum, which verbatimModuleSyntax cannot read at run time.
const ARGON2ID = 2 as Algorithm.Argon2id;

/** argon2id cost. OWASP's minimum: 19 MiB, 2 passes, 1 lane. */
export interface HashParams {
  memoryCostKiB: number;
  timeCost: number;
  parallelism: number;
}

export const OWASP_PARAMS: Readonly<HashParams> = Object.freeze({ memoryCostKiB: 19_456, timeCost: 2, parallelism: 1 });

/** For test suites that sign up hundreds of users; never a default anywhere. */
export const TEST_ONLY_PARAMS: Readonly<HashParams> = Object.freeze({
  memoryCostKiB: 1024,
  timeCost: 1,
  parallelism: 1,
});

export interface PasswordHasher {
  readonly params: Readonly<HashParams>;
  hash(password: string): Promise<string>;
  /** `needsRehash` when the stored hash is weaker than the current params (A1: upgrade on login). */
  verify(storedHash: string, password: string): Promise<{ ok: boolean; needsRehash: boolean }>;
  /** Burns the same time as a real verify, for usernames that do not exist (A4). */
  verifyDummy(password: string): Promise<void>;
}

const PHC = /^\$argon2(id|i|d)\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$/;

function isWeaker(storedHash: string, params: HashParams): boolean {
  const match = PHC.exec(storedHash);
  if (!match) return true;
  const [, variant, , m, t, p] = match;
  return (
    variant !== "id" ||
    Number(m) < params.memoryCostKiB ||
    Number(t) < params.timeCost ||
    Number(p) !== params.parallelism
  );
}

export async function createPasswordHasher(params: HashParams = OWASP_PARAMS): Promise<PasswordHasher> {
  for (const [key, value] of Object.entries(params)) {
    if (!Number.isInteger(value) || value < 1)
      throw new TypeError(`createPasswordHasher: ${key} must be a positive integer`);
  }
  const options = {
    algorithm: ARGON2ID,
    memoryCost: params.memoryCostKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  };
  const hashPassword = (password: string) => hash(password, options);
  // A real hash with the same parameters, so a verify against it costs the same.
  const dummyHash = await hashPassword(`dummy-${Math.random()}`);
  return {
    params: Object.freeze({ ...params }),
    hash: hashPassword,
    async verify(storedHash, password) {
      const ok = await verify(storedHash, password).catch(() => false);
      return { ok, needsRehash: ok && isWeaker(storedHash, params) };
    },
    async verifyDummy(password) {
      await verify(dummyHash, password).catch(() => false);
    },
  };
}
