import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createFileOnce } from "@statelab/backend";

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

export interface Verifier {
  alg: JwtAlg;
  key: KeyObject;
}

/**
 * The in-memory key set: one signer, and the kids that may verify, as of the
 * last read of KEY_DIR. A kid never selects anything but an entry of it.
 */
export interface KeySet {
  /** The newest active key of this JWT_ALG in the file, as of the last read. */
  readonly signer: SigningKey;
  /** The verify key of a kid in memory; never reads the file. */
  verifier(kid: string): Verifier | undefined;
  /**
   * Re-reads KEY_DIR for a kid that is not in memory: at most once a second,
   * one read shared by every caller, and a caller inside that second waits for
   * the next read instead of being refused.
   */
  refresh(): Promise<void>;
  /** Public keys of every kid that verifies, for /.well-known/jwks.json. */
  readonly jwks: { keys: Record<string, unknown>[] };
  /** Stops watching the key file (the server's shutdown). */
  close(): void;
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

function readKeyText(dir: string): string | null {
  try {
    return readFileSync(path.join(dir, FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function readKeyFile(dir: string): KeyFile | null {
  const text = readKeyText(dir);
  return text === null ? null : (JSON.parse(text) as KeyFile);
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

const hasSigner = (file: KeyFile, alg: JwtAlg) => file.keys.some((k) => k.status === "active" && k.alg === alg);

/**
 * The signing keys every instance shares, from KEY_DIR: created once if absent,
 * never per process (round-robin across instances would break).
 */
export function loadKeySet(dir: string, alg: JwtAlg, options: { pollMs?: number } = {}): KeySet {
  let text = readKeyText(dir);
  if (text === null) {
    writeKeyFile(dir, { keys: [newKey(alg)] }, true);
    text = readKeyText(dir) as string;
  }
  if (!hasSigner(JSON.parse(text) as KeyFile, alg)) {
    rotateKeys(dir, alg);
    text = readKeyText(dir) as string;
  }
  return fileBackedKeySet(dir, alg, text, options.pollMs ?? KEY_POLL_INTERVAL_MS);
}

interface Snapshot {
  text: string;
  signer: SigningKey;
  verifiers: Map<string, Verifier>;
  jwks: { keys: Record<string, unknown>[] };
}

function snapshotOf(text: string, alg: JwtAlg): Snapshot {
  const file = JSON.parse(text) as KeyFile;
  const active = file.keys.filter((k) => k.status === "active" && k.alg === alg).at(-1);
  if (!active) throw new Error(`no active ${alg} key`);
  // A Map, not an object: a kid such as "__proto__" or "constructor" finds nothing.
  const verifiers = new Map(
    file.keys
      .filter((k) => k.status !== "retired")
      .map((k) => [
        k.kid,
        { alg: k.alg, key: createPublicKey(createPrivateKey({ key: k.privateJwk, format: "jwk" })) },
      ]),
  );
  return {
    text,
    signer: {
      kid: active.kid,
      alg: active.alg,
      key: createPrivateKey({ key: active.privateJwk as never, format: "jwk" }),
    },
    verifiers,
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

/** The shortest time between two reads of KEY_DIR prompted by unknown kids: forged kids cost one read a second. */
const REREAD_INTERVAL_MS = 1000;

/**
 * How often every instance re-reads the key file on its own, so `keys rotate` and `keys
 * retire` reach it within about this long without a restart or a token to prompt it (J4).
 * A poll rather than fs.watch: it works the same for a file per host (a mounted secret,
 * replaced by rename) as for one shared directory, and costs one small read a second.
 */
export const KEY_POLL_INTERVAL_MS = 1000;

/**
 * Why an unknown kid re-reads the shared file instead of a two-step rotation
 * (publish verify-only, restart everything, then activate): the two-step
 * procedure is only safe if the operator really restarts every instance
 * between the steps, and one that was missed gives the same intermittent 401s
 * behind round-robin. A genuine token whose kid is not in memory means another
 * instance read a newer file, so reading it then makes a rolling restart safe
 * in any order, with one command. A request inside the one-second interval
 * waits for the next read instead of being refused, so a kid published just
 * after a read is never turned away. From the token, only the kid is used, and
 * only as a Map key after the read: nothing in it names a file, a URL or a key.
 * The read replaces the whole set, signer included, so an instance that has
 * seen the new kid signs with it too, and a kid retired in the file stops
 * verifying. A broken or half-edited file keeps the keys already in memory. Besides,
 * every instance polls the file (KEY_POLL_INTERVAL_MS), which is what makes a retired
 * kid stop verifying everywhere within about a second: a retirement changes no kid a
 * client presents, so nothing else would prompt a read.
 */
function fileBackedKeySet(dir: string, alg: JwtAlg, text: string, pollMs: number): KeySet {
  let current = snapshotOf(text, alg);
  let nextReadAt = 0;
  let pending: Promise<void> | undefined;

  const reload = () => {
    try {
      const latest = readKeyText(dir);
      if (latest !== null && latest !== current.text) current = snapshotOf(latest, alg);
    } catch {
      // Keep serving with the keys in memory; the next poll or unknown kid tries again.
    }
  };
  const read = () => {
    nextReadAt = Date.now() + REREAD_INTERVAL_MS;
    reload();
  };
  // Unref'd: a key set never keeps a process alive on its own.
  const poll = setInterval(reload, pollMs).unref();

  return {
    get signer() {
      return current.signer;
    },
    get jwks() {
      return current.jwks;
    },
    verifier: (kid) => current.verifiers.get(kid),
    refresh() {
      if (!pending && Date.now() >= nextReadAt) {
        read();
        return Promise.resolve();
      }
      // Inside the interval: wait for the next read rather than refuse a kid published since the last one.
      pending ??= new Promise<void>((resolve) => setTimeout(resolve, nextReadAt - Date.now())).then(() => {
        pending = undefined;
        read();
      });
      return pending;
    },
    close: () => clearInterval(poll),
  };
}

/**
 * Rotation: a new key signs from each instance's next read of the file (its poll,
 * within about a second, or an unknown kid); the previous ones keep verifying
 * until retired.
 */
export function rotateKeys(dir: string, alg: JwtAlg): KeyFile {
  const file = readKeyFile(dir) ?? { keys: [] };
  const keys = file.keys.map((k) => (k.status === "active" ? { ...k, status: "verify" as const } : k));
  const next = { keys: [...keys, newKey(alg)] };
  writeKeyFile(dir, next, false);
  return next;
}

/** Retiring a kid: tokens it signed are rejected by every instance from its next poll of the file on (about a second). */
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
