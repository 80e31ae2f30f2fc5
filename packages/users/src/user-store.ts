import { ConflictError, NotFoundError, queryOr503 } from "@statelab/http";
import type pg from "pg";
import { usernameKey } from "./credentials-schema.js";
import type { PasswordHasher } from "./passwords.js";

export interface User {
  id: string;
  username: string;
  displayName: string;
  /** Grows by one on every update. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserPatch {
  displayName?: string;
}

/**
 * Runs one piece of argon2 work: the hash queue's slot (hash-queue.ts), or directly.
 * The store passes every hash through it and nothing else, so a slot is never held
 * while the database answers.
 */
export type HashGate = <T>(work: () => Promise<T>) => Promise<T>;

const direct: HashGate = (work) => work();

/** The user store both backends share. */
export interface UserStore {
  /**
   * Throws ConflictError("username_taken") when the normalised name exists — checked
   * before hashing, so a taken name costs no argon2; the unique index still decides races.
   */
  create(input: { username: string; password: string }, gate?: HashGate): Promise<User>;
  /**
   * The user when the password matches, else null. Takes the same path (one
   * argon2 verify) whether or not the username exists, so time reveals nothing.
   * Upgrades a hash weaker than the current parameters.
   */
  verifyCredentials(username: string, password: string, gate?: HashGate): Promise<User | null>;
  findById(id: string): Promise<User | null>;
  /** Compare-and-set on `version`: ConflictError("version_conflict") when it moved. */
  update(id: string, patch: UserPatch, expectedVersion: number): Promise<User>;
}

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  version: string;
  created_at: Date;
  updated_at: Date;
  password_hash: string;
}

const COLUMNS = "id, username, display_name, version, created_at, updated_at";

const toUser = (row: UserRow): User => ({
  id: row.id,
  username: row.username,
  displayName: row.display_name,
  version: Number(row.version),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const usernameTaken = () => new ConflictError("username_taken", "that username is taken", undefined);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createPgUserStore(deps: { pool: pg.Pool; hasher: PasswordHasher }): UserStore {
  const { pool, hasher } = deps;

  const query = <R extends pg.QueryResultRow>(text: string, values: unknown[]) => queryOr503<R>(pool, text, values);

  return {
    async create({ username, password }, gate = direct) {
      const name = username.normalize("NFKC");
      const taken = await query("SELECT 1 FROM users WHERE username_key = $1", [usernameKey(name)]);
      if (taken.rowCount) throw usernameTaken();
      const passwordHash = await gate(() => hasher.hash(password));
      try {
        const { rows } = await query<UserRow>(
          `INSERT INTO users (username, username_key, password_hash, display_name)
           VALUES ($1, $2, $3, $1) RETURNING ${COLUMNS}`,
          [name, usernameKey(name), passwordHash],
        );
        return toUser(rows[0] as UserRow);
      } catch (error) {
        // 23505 unique_violation: the unique index decides races between concurrent signups.
        if ((error as { code?: string }).code === "23505") throw usernameTaken();
        throw error;
      }
    },

    async verifyCredentials(username, password, gate = direct) {
      const { rows } = await query<UserRow>(`SELECT ${COLUMNS}, password_hash FROM users WHERE username_key = $1`, [
        usernameKey(username),
      ]);
      const row = rows[0];
      if (!row) {
        await gate(() => hasher.verifyDummy(password));
        return null;
      }
      // The rehash shares the verify's slot: it happens only after a right password on a weak hash.
      const { ok, rehashed } = await gate(async () => {
        const verdict = await hasher.verify(row.password_hash, password);
        return { ok: verdict.ok, rehashed: verdict.needsRehash ? await hasher.hash(password) : null };
      });
      if (!ok) return null;
      if (rehashed !== null) {
        // Guarded by the old hash, so a concurrent password change is never overwritten.
        // A rehash is an update like any other: it bumps `version`, so a writer holding
        // the old version gets 409 rather than silently racing it.
        const { rows: upgraded } = await query<UserRow>(
          `UPDATE users SET password_hash = $1, version = version + 1, updated_at = now()
           WHERE id = $2 AND password_hash = $3 RETURNING ${COLUMNS}`,
          [rehashed, row.id, row.password_hash],
        );
        if (upgraded[0]) return toUser(upgraded[0]);
      }
      return toUser(row);
    },

    async findById(id) {
      if (!UUID.test(id)) return null;
      const { rows } = await query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
      return rows[0] ? toUser(rows[0]) : null;
    },

    async update(id, patch, expectedVersion) {
      const { rows } = await query<UserRow>(
        `UPDATE users SET display_name = COALESCE($2, display_name), version = version + 1, updated_at = now()
         WHERE id = $1 AND version = $3 RETURNING ${COLUMNS}`,
        [id, patch.displayName ?? null, expectedVersion],
      );
      if (rows[0]) return toUser(rows[0]);
      const current = UUID.test(id) ? await query<UserRow>("SELECT version FROM users WHERE id = $1", [id]) : null;
      if (!current?.rows[0]) throw new NotFoundError("no such user");
      const currentVersion = Number(current.rows[0].version);
      throw new ConflictError("version_conflict", "the user changed since you read it; read it again and retry", {
        expectedVersion,
        currentVersion,
      });
    },
  };
}

/** The user as both APIs show it: never the hash, never the normalised key. */
export function publicUser(user: User) {
  return { id: user.id, username: user.username, displayName: user.displayName, version: user.version };
}
