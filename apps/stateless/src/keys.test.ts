import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { statelessTestApp } from "../../../tests/support/stateless.js";
import { bearer, statelessLogin } from "../../../tests/support/stateless-client.js";
import { listKeys, loadKeySet, retireKey, rotateKeys } from "./tokens/keys.js";

const kidOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString()).kid as string;

describe("the shared key set", () => {
  it("is created once: every instance that loads the directory gets the same signer", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "statelab-keys-"));
    const sets = Array.from({ length: 5 }, () => loadKeySet(dir, "EdDSA"));
    expect(new Set(sets.map((s) => s.signer.kid)).size).toBe(1);
    expect(listKeys(dir)).toHaveLength(1);
    // The private key never appears in the JWKS.
    expect(JSON.stringify(sets[0]?.jwks)).not.toMatch(/"d":/);
    expect(readFileSync(path.join(dir, "jwt-keys.json"), "utf8")).toContain('"d"');
  });

  it("GET /.well-known/jwks.json serves the public keys by kid", async () => {
    const h = await statelessTestApp();
    const res = await request(h.app).get("/.well-known/jwks.json").expect(200);
    expect(res.body.keys).toEqual([
      expect.objectContaining({ kid: h.keys.signer.kid, alg: "EdDSA", kty: "OKP", crv: "Ed25519", use: "sig" }),
    ]);
    expect(JSON.stringify(res.body)).not.toMatch(/"d":/);
  });
});

describe("rotation (J4)", () => {
  it("after a rotation the new kid signs and the old one still verifies; once retired, its tokens → 401", async () => {
    const before = await statelessTestApp();
    const keyDir = before.config.keyDir;
    const old = await statelessLogin(before.app);

    rotateKeys(keyDir, "EdDSA");
    const during = await statelessTestApp({ KEY_DIR: keyDir, REDIS_PREFIX: before.config.redisPrefix });
    expect(during.keys.signer.kid).not.toBe(before.keys.signer.kid);
    await request(during.app).get("/me").set(bearer(old.accessToken)).expect(200);
    const fresh = await statelessLogin(during.app, old.credentials);
    const header = JSON.parse(Buffer.from(fresh.accessToken.split(".")[0] as string, "base64url").toString());
    expect(header.kid).toBe(during.keys.signer.kid);
    expect((await request(during.app).get("/.well-known/jwks.json")).body.keys).toHaveLength(2);

    retireKey(keyDir, before.keys.signer.kid);
    const after = await statelessTestApp({ KEY_DIR: keyDir, REDIS_PREFIX: before.config.redisPrefix });
    const res = await request(after.app).get("/me").set(bearer(old.accessToken));
    expect({ status: res.status, code: res.body.error.code }).toEqual({ status: 401, code: "token_invalid" });
    await request(after.app).get("/me").set(bearer(fresh.accessToken)).expect(200);
  });

  it("the active key cannot be retired", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "statelab-keys-"));
    const set = loadKeySet(dir, "EdDSA");
    expect(() => retireKey(dir, set.signer.kid)).toThrow(/rotate first/);
  });
});

describe("an unknown kid re-reads KEY_DIR (rotation without restarting every instance first)", () => {
  const newestKid = (dir: string) => (listKeys(dir).at(-1) as { kid: string }).kid;

  it("a kid rotated in after the set loaded is found after a re-read, and the set signs with it from then on", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "statelab-keys-"));
    const set = loadKeySet(dir, "EdDSA");
    const first = set.signer.kid;
    rotateKeys(dir, "EdDSA");
    const second = newestKid(dir);
    expect(set.verifier(second)).toBeUndefined();
    await set.refresh();
    expect(set.verifier(second)).toBeDefined();
    expect(set.verifier(first)).toBeDefined();
    expect(set.signer.kid).toBe(second);
    expect(set.jwks.keys.map((k) => k.kid)).toEqual([first, second]);
  });

  it("at most one read a second: a kid published just after a read waits for the next read instead of being refused", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "statelab-keys-"));
    const set = loadKeySet(dir, "EdDSA");
    await set.refresh(); // e.g. a forged kid: this read finds nothing new
    const readAt = Date.now();
    rotateKeys(dir, "EdDSA");
    const published = newestKid(dir);
    const burst = await Promise.all(Array.from({ length: 20 }, () => set.refresh().then(() => Date.now())));
    expect(Math.min(...burst) - readAt).toBeGreaterThanOrEqual(950);
    expect(set.verifier(published)).toBeDefined();
  });

  it("a broken key file keeps the keys already in memory", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "statelab-keys-"));
    const set = loadKeySet(dir, "EdDSA");
    const { kid } = set.signer;
    writeFileSync(path.join(dir, "jwt-keys.json"), '{"keys": [');
    await set.refresh();
    expect(set.signer.kid).toBe(kid);
    expect(set.verifier(kid)).toBeDefined();
  });

  it("a retired kid stops verifying once the file is re-read, cached token or not", async () => {
    const h = await statelessTestApp({ VERIFY_CACHE_SIZE: "100" });
    const old = await statelessLogin(h.app);
    await request(h.app).get("/me").set(bearer(old.accessToken)).expect(200);
    rotateKeys(h.config.keyDir, "EdDSA");
    retireKey(h.config.keyDir, kidOf(old.accessToken));
    // The re-read any token with a kid not in memory would prompt.
    await h.keys.refresh();
    const res = await request(h.app).get("/me").set(bearer(old.accessToken));
    expect({ status: res.status, code: res.body.error.code }).toEqual({ status: 401, code: "token_invalid" });
    const fresh = await statelessLogin(h.app, old.credentials);
    expect(kidOf(fresh.accessToken)).toBe(newestKid(h.config.keyDir));
    await request(h.app).get("/me").set(bearer(fresh.accessToken)).expect(200);
  });
});
