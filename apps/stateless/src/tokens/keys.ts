import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createFileOnce } from "@statelab/users";

export type JwtAlg = "EdDSA" | "ES256";

interface StoredKey {
  kid: string;
  alg: JwtAlg;
  /** active signs; verify only verifies (the rotation overlap); retired neither. */
  status: "active" | "verify" | "retired";
  createdAt: string;
  privateJwk: Record<string, unknown>;
}

interface KeyFile {
  keys: StoredKey[];
}

export interface SigningKey {
  kid: string;
  alg: JwtAlg;
  key: KeyObject;
}

/** The in-memory key set: one signer, and the kids that may verify. A kid never selects anything else. */
export interface KeySet {
  signer: SigningKey;
  verifier(kid: string): { alg: JwtAlg; key: KeyObject } | undefined;
  /** Public keys of every kid that verifies, for /.well-known/jwks.json. */
  jwks: { keys: Record<string, unknown>[] };
}

const FILE = "jwt-keys.json";

function newKey(alg: JwtAlg): StoredKey {
  const { privateKey } =
    alg === "EdDSA" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    kid: randomBytes(12).toString("base64url"),
    alg,
    status: "active",
    createdAt: new Date().toISOString(),
    privateJwk: privateKey.export({ format: "jwk" }) as Record<string, unknown>,
  };
}

function readKeyFile(dir: string): KeyFile | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, FILE), "utf8")) as KeyFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Writes through a temp file and rename, so a reader never sees half a file. */
function writeKeyFile(dir: string, file: KeyFile, exclusive: boolean): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = path.join(dir, FILE);
  if (exclusive) {
    // When two instances start together on an empty dir, one creates it and the other reads it.
    createFileOnce(target, JSON.stringify(file, null, 2));
    return;
  }
  const temp = `${target}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(file, null, 2), { mode: 0o600 });
  renameSync(temp, target);
}

/**
 * The signing keys every instance shares, from KEY_DIR: created once if absent,
 * never per process (round-robin across instances would break).
 */
export function loadKeySet(dir: string, alg: JwtAlg): KeySet {
  let file = readKeyFile(dir);
  if (!file) {
    writeKeyFile(dir, { keys: [newKey(alg)] }, true);
    file = readKeyFile(dir) as KeyFile;
  }
  if (!file.keys.some((k) => k.status === "active" && k.alg === alg)) {
    file = rotateKeys(dir, alg);
  }
  return buildKeySet(file, alg);
}

function buildKeySet(file: KeyFile, alg: JwtAlg): KeySet {
  const usable = file.keys.filter((k) => k.status !== "retired");
  const verifiers = new Map(
    usable.map((k) => [
      k.kid,
      { alg: k.alg, key: createPublicKey(createPrivateKey({ key: k.privateJwk, format: "jwk" })) },
    ]),
  );
  const active = file.keys.filter((k) => k.status === "active" && k.alg === alg).at(-1) as StoredKey;
  return {
    signer: {
      kid: active.kid,
      alg: active.alg,
      key: createPrivateKey({ key: active.privateJwk as never, format: "jwk" }),
    },
    verifier: (kid) => verifiers.get(kid),
    jwks: {
      keys: [...verifiers].map(([kid, { alg: keyAlg, key }]) => ({
        ...(key.export({ format: "jwk" }) as Record<string, unknown>),
        kid,
        alg: keyAlg,
        use: "sig",
      })),
    },
  };
}

/** Rotation: a new key signs from now on; the previous ones keep verifying until retired. */
export function rotateKeys(dir: string, alg: JwtAlg): KeyFile {
  const file = readKeyFile(dir) ?? { keys: [] };
  const keys = file.keys.map((k) => (k.status === "active" ? { ...k, status: "verify" as const } : k));
  const next = { keys: [...keys, newKey(alg)] };
  writeKeyFile(dir, next, false);
  return next;
}

/** Retiring a kid: tokens it signed are rejected from the next start on. */
export function retireKey(dir: string, kid: string): KeyFile {
  const file = readKeyFile(dir);
  const key = file?.keys.find((k) => k.kid === kid);
  if (!file || !key) throw new Error(`no key ${kid} in ${path.join(dir, FILE)}`);
  if (key.status === "active") throw new Error(`${kid} is the active signing key: rotate first`);
  const next = { keys: file.keys.map((k) => (k.kid === kid ? { ...k, status: "retired" as const } : k)) };
  writeKeyFile(dir, next, false);
  return next;
}

export function listKeys(dir: string): Omit<StoredKey, "privateJwk">[] {
  return (readKeyFile(dir)?.keys ?? []).map(({ privateJwk: _secret, ...rest }) => rest);
}
