import { describe, expect, it } from "vitest";
import { createPasswordHasher, OWASP_PARAMS, TEST_ONLY_PARAMS } from "./passwords.js";

describe("createPasswordHasher (A1)", () => {
  it("hashes with argon2id at OWASP's parameters by default", async () => {
    const hasher = await createPasswordHasher();
    const stored = await hasher.hash("correct horse");
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(hasher.params).toEqual(OWASP_PARAMS);
    await expect(hasher.verify(stored, "correct horse")).resolves.toEqual({ ok: true, needsRehash: false });
    await expect(hasher.verify(stored, "wrong horse")).resolves.toEqual({ ok: false, needsRehash: false });
  });

  it("flags a weaker stored hash for rehash, only when the password matched", async () => {
    const weak = await (await createPasswordHasher(TEST_ONLY_PARAMS)).hash("pw-12345678");
    const strong = await createPasswordHasher();
    await expect(strong.verify(weak, "pw-12345678")).resolves.toEqual({ ok: true, needsRehash: true });
    await expect(strong.verify(weak, "nope-12345678")).resolves.toEqual({ ok: false, needsRehash: false });
  });

  it("treats a garbage stored hash as a failed verify, not an exception", async () => {
    const hasher = await createPasswordHasher(TEST_ONLY_PARAMS);
    await expect(hasher.verify("not-a-phc-string", "whatever1")).resolves.toEqual({ ok: false, needsRehash: false });
  });

  it("refuses nonsense parameters when built", async () => {
    await expect(createPasswordHasher({ memoryCostKiB: 0, timeCost: 2, parallelism: 1 })).rejects.toThrow(TypeError);
  });
});
