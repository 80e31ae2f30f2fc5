import { describe, expect, it } from "vitest";
import { uniqueName } from "../support/index.js";
import { type AuthClientFactory, type Credentials, http, type Target } from "./client.js";

export interface ContractOptions {
  /** Shown in test names, e.g. "stateful in process". */
  name: string;
  target: () => Target;
  client: AuthClientFactory;
}

export const newCredentials = (): Credentials => ({ username: uniqueName("c"), password: "contract-pass-1" });

/**
 * The API every statelab backend must serve (DESIGN.md's table), written once
 * and run against each backend, in process and by URL. Behaviour only one
 * backend has lives in that backend's own tests.
 */
export function defineContractSuite(options: ContractOptions): void {
  const client = () => options.client(options.target());
  const signedUp = async () => {
    const credentials = newCredentials();
    await client().signup(credentials).expect(201);
    return credentials;
  };
  const expectError = (res: { status: number; body: unknown }, status: number, code: string) => {
    expect({ status: res.status, code: (res.body as { error?: { code?: string } }).error?.code }).toEqual({
      status,
      code,
    });
  };

  describe(`contract: ${options.name}`, () => {
    describe("signup", () => {
      it("POST /auth/signup → 201 with the public user, never a hash", async () => {
        const credentials = newCredentials();
        const res = await client().signup(credentials).expect(201);
        expect(res.body.user).toMatchObject({ username: credentials.username, version: 1 });
        expect(res.body.user.id).toEqual(expect.any(String));
        expect(JSON.stringify(res.body)).not.toMatch(/argon2|password/i);
        expect(res.headers["x-instance-id"]).toEqual(expect.any(String));
      });

      it("the same username again → 409 username_taken", async () => {
        const credentials = await signedUp();
        expectError(await client().signup({ ...credentials, password: "other-pass-1" }), 409, "username_taken");
      });

      it("a short password or a bad username → 400 invalid_request", async () => {
        expectError(await client().signup({ username: uniqueName(), password: "short" }), 400, "invalid_request");
        expectError(
          await client().signup({ username: "no spaces allowed", password: "long-enough-1" }),
          400,
          "invalid_request",
        );
      });

      it("malformed JSON → 400, wrong content type → 415, huge body → 413", async () => {
        const target = options.target();
        const bad = await http(target).post("/auth/signup").set("Content-Type", "application/json").send("{oops");
        expectError(bad, 400, "malformed_json");
        const text = await http(target).post("/auth/signup").set("Content-Type", "text/plain").send("username=a");
        expectError(text, 415, "unsupported_media_type");
        const huge = await http(target)
          .post("/auth/signup")
          .send({ username: "x", password: "p".repeat(1_000_000) });
        expectError(huge, 413, "payload_too_large");
      });
    });

    describe("login", () => {
      it("the right password → 200 and a working credential", async () => {
        const credentials = await signedUp();
        const agent = await client().login(credentials);
        expect(agent.user.username).toBe(credentials.username);
        await agent.get("/me").expect(200);
      });

      it("wrong password and unknown user → the same 401 invalid_credentials", async () => {
        const credentials = await signedUp();
        const wrong = await client().loginRequest({ ...credentials, password: "wrong-password" });
        const unknown = await client().loginRequest({ username: uniqueName(), password: "wrong-password" });
        expectError(wrong, 401, "invalid_credentials");
        expect(unknown.status).toBe(wrong.status);
        expect(unknown.body).toEqual(wrong.body);
      });

      it("a body with extra keys (__proto__) → 400", async () => {
        const res = await http(options.target())
          .post("/auth/login")
          .set("Content-Type", "application/json")
          .send('{"username":"a","password":"b","__proto__":{"admin":true}}');
        expectError(res, 400, "invalid_request");
      });
    });

    describe("passwords (A2: any characters, no truncation)", () => {
      // Signup → login → GET /me, the way a user would; the password must survive both hops unchanged.
      const roundTrip = async (password: string) => {
        const credentials = { username: uniqueName("pw"), password };
        await client().signup(credentials).expect(201);
        const agent = await client().login(credentials);
        await agent.get("/me").expect(200);
        return credentials;
      };

      it("a 64-character password round-trips", async () => {
        const password = "0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ_";
        expect(password).toHaveLength(64);
        await roundTrip(password);
      });

      it("a Unicode password (accents, emoji, ß) round-trips", async () => {
        await roundTrip("pässwörd-🔑-ß");
      });

      it("a password whose first 72 bytes match another's does not log in as it (no bcrypt-style truncation)", async () => {
        // 36 × "ü" is 72 UTF-8 bytes but 36 characters: catches a cut at 72 bytes and at 72 characters.
        const prefix = `${"ü".repeat(36)}${"x".repeat(36)}`;
        const { username } = await roundTrip(`${prefix}-the-real-tail`);
        expectError(
          await client().loginRequest({ username, password: `${prefix}-another-tail` }),
          401,
          "invalid_credentials",
        );
        expectError(await client().loginRequest({ username, password: prefix }), 401, "invalid_credentials");
      });

      it("the same characters in another Unicode normalisation are another password (compared byte for byte)", async () => {
        const nfc = "pässwörd-🔑-ß".normalize("NFC");
        const nfd = nfc.normalize("NFD");
        expect(nfd).not.toBe(nfc);
        const { username } = await roundTrip(nfc);
        expectError(await client().loginRequest({ username, password: nfd }), 401, "invalid_credentials");
      });
    });

    describe("GET /me", () => {
      it("→ 200 with the user, the instance and when the credential expires", async () => {
        const credentials = await signedUp();
        const agent = await client().login(credentials);
        const res = await agent.get("/me").expect(200);
        expect(res.body.user).toMatchObject({ username: credentials.username });
        expect(res.body.instance).toBe(res.headers["x-instance-id"]);
        expect(res.body.auth.kind).toBe(client().kind === "cookie" ? "session" : "jwt");
      });

      it("without credentials → 401 unauthenticated", async () => {
        expectError(await http(options.target()).get("/me"), 401, "unauthenticated");
      });
    });

    describe("PATCH /me", () => {
      it("writes displayName and bumps the version; a stale version → 409 version_conflict", async () => {
        const agent = await client().login(await signedUp());
        const first = await agent.patch("/me", { displayName: "Ada", version: 1 }).expect(200);
        expect(first.body.user).toMatchObject({ displayName: "Ada", version: 2 });
        expectError(await agent.patch("/me", { displayName: "Lost", version: 1 }), 409, "version_conflict");
        expect((await agent.get("/me").expect(200)).body.user).toMatchObject({ displayName: "Ada", version: 2 });
      });

      it("an invalid displayName → 400", async () => {
        const agent = await client().login(await signedUp());
        expectError(await agent.patch("/me", { displayName: "" }), 400, "invalid_request");
      });
    });

    describe("logout", () => {
      it("POST /auth/logout → 204, and the old credential → 401", async () => {
        const agent = await client().login(await signedUp());
        await agent.post("/auth/logout").expect(204);
        const after = await agent.get("/me");
        expect(after.status).toBe(401);
      });

      it("POST /auth/logout-all ends every session of the user", async () => {
        const credentials = await signedUp();
        const [a, b] = [await client().login(credentials), await client().login(credentials)];
        await a.post("/auth/logout-all").expect(204);
        expect((await a.get("/me")).status).toBe(401);
        expect((await b.get("/me")).status).toBe(401);
      });
    });

    describe("sessions (devices)", () => {
      it("GET /auth/sessions lists each login once with an opaque handle, one marked current", async () => {
        const credentials = await signedUp();
        await client().login(credentials);
        const agent = await client().login(credentials);
        const res = await agent.get("/auth/sessions").expect(200);
        expect(res.body.sessions).toHaveLength(2);
        expect(res.body.sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
        for (const s of res.body.sessions) {
          expect(s).toMatchObject({
            handle: expect.any(String),
            createdAt: expect.any(String),
            lastSeenAt: expect.any(String),
          });
        }
      });

      it("DELETE /auth/sessions/:handle ends exactly that one; an unknown handle → 404", async () => {
        const credentials = await signedUp();
        const [first, second, third] = [
          await client().login(credentials),
          await client().login(credentials),
          await client().login(credentials),
        ];
        const list = (await third.get("/auth/sessions").expect(200)).body.sessions as {
          handle: string;
          createdAt: string;
        }[];
        const secondHandle = list.sort((x, y) => x.createdAt.localeCompare(y.createdAt))[1]?.handle as string;
        await third.delete(`/auth/sessions/${secondHandle}`).expect(204);
        expect((await second.get("/me")).status).toBe(401);
        await first.get("/me").expect(200);
        await third.get("/me").expect(200);
        expectError(await third.delete("/auth/sessions/no-such-handle"), 404, "not_found");
      });
    });

    describe("per-process state", () => {
      it("POST /chat/partners is remembered only by the instance that answered it", async () => {
        const agent = await client().login(await signedUp());
        const post = await agent.post("/chat/partners", { partner: "bob" }).expect(200);
        const where = post.headers["x-instance-id"];
        expect(post.body).toEqual({ partners: ["bob"], instance: where });
        // Behind a load balancer other instances answer too, and they do not know (that is the point).
        let sawSameInstance = false;
        for (let i = 0; i < 6; i++) {
          const res = await agent.get("/chat/partners").expect(200);
          if (res.body.instance === where) sawSameInstance = true;
          expect(res.body.partners).toEqual(res.body.instance === where ? ["bob"] : []);
        }
        expect(sawSameInstance).toBe(true);
      });
    });

    describe("errors and probes", () => {
      it("an unknown route → 404 not_found JSON; TRACE → 405", async () => {
        expectError(await http(options.target()).get("/no/such/route"), 404, "not_found");
        expectError(await http(options.target()).trace("/me"), 405, "method_not_allowed");
      });

      it("/healthz and /readyz → 200", async () => {
        await http(options.target()).get("/healthz").expect(200);
        await http(options.target()).get("/readyz").expect(200);
      });
    });
  });
}
