import { randomBytes } from "node:crypto";
import { Agent, Client, request } from "undici";
import type { Invariant } from "../../compare/results.js";
import { defineScenario } from "../../compare/scenario.js";
import { pct } from "../../format.js";
import type { Stack, StackSpec } from "../../stack/stack.js";
import { LabUser } from "../../stack/users.js";

type VariantKey = "connection-proxy" | "cookie-proxy" | "connection-direct";

interface Variant {
  key: VariantKey;
  label: string;
  /** Cookieless requests from other clients. */
  requests: number;
  /** Answered 200 as user A: the leak. */
  servedAsA: number;
  /** Answered 200 as anyone else (never expected: only A is logged in on that path). */
  servedAsOther: number;
  /** 401: what every other client should get. */
  refused: number;
  otherStatus: number;
  /** No HTTP answer. */
  errors: number;
  /** Per X-Instance-Id: how many strangers' requests it answered, and how many of them as A. */
  perInstance: Record<string, { answered: number; servedAsA: number }>;
  /** Which instance answered A's login. */
  loginInstance: string | null;
  /**
   * Direct only: GET /me without any cookie over A's own connection — 200 shows the
   * binding was live, so the 0 leaks over new connections are not vacuous. Null elsewhere.
   */
  ownConnectionStatus: number | null;
}

export interface ConnectionBindingObservations {
  requestsPerVariant: number;
  variants: Variant[];
}

const PASSWORD = "lab-password-1";
const CONNECTION: StackSpec = { app: "stateful", label: "sf-conn", env: { AUTH_BINDING: "connection" } };
const COOKIE: StackSpec = { app: "stateful", label: "stateful" };

interface Answer {
  status: number;
  username: string | null;
  instance: string | null;
}

function parseAnswer(status: number, text: string, instance: string | string[] | undefined): Answer {
  let username: string | null = null;
  try {
    const body = JSON.parse(text) as { user?: { username?: unknown } };
    if (typeof body.user?.username === "string") username = body.user.username;
  } catch {
    username = null;
  }
  return { status, username, instance: typeof instance === "string" ? instance : null };
}

/** GET /me as a stranger: no cookie, and a TCP connection of its own, closed afterwards. */
async function strangerMe(baseUrl: string): Promise<Answer | null> {
  const agent = new Agent({ connections: 1, headersTimeout: 5000, bodyTimeout: 5000, connect: { timeout: 5000 } });
  try {
    const res = await request(`${baseUrl}/me`, { dispatcher: agent });
    return parseAnswer(res.statusCode, await res.body.text(), res.headers["x-instance-id"]);
  } catch {
    return null;
  } finally {
    await agent.destroy();
  }
}

/** A signed-up user, logged in through `baseUrl` over the given client's connection. */
async function loginOver(client: Client, user: LabUser): Promise<Answer> {
  const res = await client.request({
    method: "POST",
    path: "/auth/login",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: user.username, password: user.password }),
  });
  const answer = parseAnswer(res.statusCode, await res.body.text(), res.headers["x-instance-id"]);
  if (res.statusCode !== 200) throw new Error(`login of ${user.username} failed: ${res.statusCode}`);
  for (const line of [res.headers["set-cookie"] ?? []].flat()) user.absorb([line]);
  return answer;
}

async function probe(
  key: VariantKey,
  label: string,
  stack: Stack,
  direct: boolean,
  requests: number,
  onProgress: () => void,
): Promise<Variant> {
  const target = direct ? (stack.instances[0] as Stack["instances"][number]).url : stack.url;
  const a = new LabUser("cookie", `cb_${key.replace(/-/g, "")}_${randomBytes(3).toString("hex")}`, PASSWORD);
  const signup = await a.signup(target);
  if (signup.status !== 201) throw new Error(`signup of ${a.username} failed: ${signup.status} ${signup.code}`);
  // A's browser: one keep-alive connection to `target`, kept open while the strangers come.
  const own = new Client(target, { pipelining: 1, keepAliveTimeout: 30_000 });
  try {
    const login = await loginOver(own, a);
    let ownConnectionStatus: number | null = null;
    if (direct) {
      const res = await own.request({ method: "GET", path: "/me" });
      await res.body.text();
      ownConnectionStatus = res.statusCode;
    }
    const variant: Variant = {
      key,
      label,
      requests,
      servedAsA: 0,
      servedAsOther: 0,
      refused: 0,
      otherStatus: 0,
      errors: 0,
      perInstance: {},
      loginInstance: login.instance,
      ownConnectionStatus,
    };
    for (let i = 0; i < requests; i++) {
      const answer = await strangerMe(target);
      onProgress();
      if (!answer) {
        variant.errors++;
        continue;
      }
      const isA = answer.status === 200 && answer.username === a.username;
      const seen = variant.perInstance[answer.instance ?? "unknown"] ?? { answered: 0, servedAsA: 0 };
      seen.answered++;
      if (isA) seen.servedAsA++;
      variant.perInstance[answer.instance ?? "unknown"] = seen;
      if (isA) variant.servedAsA++;
      else if (answer.status === 200) variant.servedAsOther++;
      else if (answer.status === 401) variant.refused++;
      else variant.otherStatus++;
    }
    return variant;
  } finally {
    await own.destroy();
  }
}

/**
 * The seed's Case #1: authenticating the TCP connection instead of the request.
 * It looks fine client → server, but a reverse proxy pools keep-alive
 * connections to its backends, so strangers' requests ride the connection a
 * user logged in on and are served as that user.
 */
export const connectionBinding = defineScenario({
  id: "connection-binding",
  title: "Connection binding: a pooling proxy serves strangers as the logged-in user",
  question:
    "When the TCP connection itself authenticates (AUTH_BINDING=connection), how many cookieless requests from other clients are answered as user A?",
  timing: {
    quick: { estimateSeconds: 15, requests: 50 },
    full: { estimateSeconds: 25, requests: 200 },
  },
  async run(ctx, { requests }): Promise<ConnectionBindingObservations> {
    const [connection, cookie] = await Promise.all([ctx.stack(CONNECTION), ctx.stack(COOKIE)]);
    const plan: Array<{ key: VariantKey; label: string; stack: Stack; direct: boolean }> = [
      { key: "connection-proxy", label: "AUTH_BINDING=connection, via the proxy", stack: connection, direct: false },
      { key: "cookie-proxy", label: "AUTH_BINDING=cookie, via the proxy", stack: cookie, direct: false },
      {
        key: "connection-direct",
        label: "AUTH_BINDING=connection, direct, new connection per request",
        stack: connection,
        direct: true,
      },
    ];
    const variants: Variant[] = [];
    for (const { key, label, stack, direct } of plan) {
      const bar = ctx.progress(label, requests);
      let done = 0;
      variants.push(await probe(key, label, stack, direct, requests, () => bar.update(++done)));
      bar.done();
    }
    return { requestsPerVariant: requests, variants };
  },

  measure({ requestsPerVariant, variants }: ConnectionBindingObservations) {
    const byKey = (key: VariantKey) => variants.find((v) => v.key === key);
    const reading: string[] = [];
    const leaky = byKey("connection-proxy");
    if (leaky) {
      const leakers = Object.entries(leaky.perInstance).filter(([, seen]) => seen.servedAsA > 0);
      const [onlyId, only] =
        leakers.length === 1 ? (leakers[0] as [string, { answered: number; servedAsA: number }]) : [];
      reading.push(
        `Behind the pooling proxy, ${leaky.servedAsA} of ${leaky.requests} cookieless requests from other clients ` +
          `(${pct(leaky.servedAsA, leaky.requests)}) were answered 200 as user A` +
          (leaky.servedAsA === 0
            ? " — none this run: no stranger's request rode the connection A logged in on."
            : only && onlyId === leaky.loginInstance
              ? `: ${only.servedAsA} of the ${only.answered} that ${onlyId}, the instance A's login went to, answered. ` +
                "The proxy handed them the pooled keep-alive connection that had carried A's login; the other " +
                `${leaky.requests - only.answered} went to other instances, and ${leaky.refused} requests in all got 401.`
              : ` (by ${leakers.map(([id, seen]) => `${id}: ${seen.servedAsA} of ${seen.answered}`).join(", ")}; ` +
                `A's login went to ${leaky.loginInstance ?? "?"}).`),
      );
    }
    const cookie = byKey("cookie-proxy");
    if (cookie) {
      reading.push(
        `With cookie binding, through the same kind of proxy, ${cookie.servedAsA} of ${cookie.requests} were served as A ` +
          `(${cookie.refused} refused with 401)` +
          (cookie.servedAsA === 0 ? ": the credential travels with each request, not with the connection." : "."),
      );
    }
    const direct = byKey("connection-direct");
    if (direct) {
      reading.push(
        `Straight to the instance over a new connection each, ${direct.servedAsA} of ${direct.requests} were served as A, ` +
          (direct.ownConnectionStatus === 200
            ? "while A's own connection was served as A without any cookie: connection binding holds only where " +
              "nobody shares connections, and a pooling reverse proxy does."
            : `and A's own connection without a cookie got ${direct.ownConnectionStatus} (the binding was not live).`),
      );
    }
    return {
      tables: [
        {
          caption: `User A logs in; then ${requestsPerVariant} GET /me without any cookie, each from a new client connection`,
          columns: [
            "variant",
            "requests",
            "served as A",
            "share",
            "401",
            "other answers",
            "no answer",
            "A's login on",
            "A's own connection, no cookie",
          ],
          rows: variants.map((v) => [
            v.label,
            v.requests,
            v.servedAsA,
            pct(v.servedAsA, v.requests),
            v.refused,
            v.servedAsOther + v.otherStatus,
            v.errors,
            v.loginInstance,
            v.ownConnectionStatus,
          ]),
        },
      ],
      charts: [
        {
          kind: "bar",
          title: "Cookieless requests from other clients: served as user A or refused",
          yLabel: "requests",
          categories: variants.map((v) => v.label),
          series: [
            { label: "served as user A", values: variants.map((v) => v.servedAsA) },
            { label: "401", values: variants.map((v) => v.refused) },
            { label: "other / no answer", values: variants.map((v) => v.servedAsOther + v.otherStatus + v.errors) },
          ],
          stacked: true,
        },
      ],
      reading,
      outcomes: Object.fromEntries(
        variants.map((v) => [
          v.label,
          { ok: v.refused, fail: v.servedAsA + v.servedAsOther + v.otherStatus, unknown: v.errors },
        ]),
      ),
    };
  },

  invariants({ variants }: ConnectionBindingObservations) {
    const byKey = (key: VariantKey) => variants.find((v) => v.key === key);
    const leaky = byKey("connection-proxy");
    const cookie = byKey("cookie-proxy");
    const direct = byKey("connection-direct");
    const counts = (v: Variant | undefined) =>
      v ? `${v.servedAsA} of ${v.requests} served as A, ${v.refused} refused` : "variant missing";
    const invariants: Invariant[] = [
      {
        name: "behind a pooling proxy, connection binding serves other clients as the logged-in user",
        holds: (leaky?.servedAsA ?? 0) > 0,
        detail: counts(leaky),
      },
      {
        name: "cookie binding never does",
        holds: !!cookie && cookie.servedAsA === 0 && cookie.servedAsOther === 0 && cookie.refused > 0,
        detail: counts(cookie),
      },
      {
        name: "without a pooling hop, connection binding serves no other client",
        holds: !!direct && direct.ownConnectionStatus === 200 && direct.servedAsA === 0 && direct.refused > 0,
        detail: `${counts(direct)}; A's own connection without a cookie: ${direct?.ownConnectionStatus ?? "?"}`,
      },
    ];
    return invariants;
  },
});
