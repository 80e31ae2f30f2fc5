/**
 * npm run bench -w apps/stateless [-- --runs 3 --duration 3 --connections 20]
 *
 * GET /me with a valid access token vs the same route without auth (same build,
 * same process), for EdDSA and ES256, REVOCATION none and denylist, and the
 * common peer (express-jwt + jsonwebtoken, HS256 and ES256 with KeyObjects made
 * once). "warm": 1,000 tokens, each reused (the verified-token cache answers);
 * "cold": every request a token never sent before — each run mints its own
 * tokens, more than it can send (sized from the same run's warm rate), so no
 * run meets a token an earlier one verified and cached. Each figure says how
 * many distinct tokens it used. Medians of interleaved runs; loopback only; bounded.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadInfraConfig, startInfra } from "@statelab/infra";
import autocannon from "autocannon";
import jwt from "jsonwebtoken";
import { createAccessTokens } from "./tokens/access-token.js";
import { loadKeySet } from "./tokens/keys.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = flag("runs", 3);
const duration = flag("duration", 3);
const connections = flag("connections", 20);
const PORT = 47291;
const NOAUTH_PORT = 47292;
const ISSUER = "statelab";
const AUDIENCE = "statelab-api";
const HS256_SECRET = randomBytes(32).toString("base64url");

const infra = await startInfra(loadInfraConfig(), { log: (l) => console.log(`[infra] ${l}`) });
const prefix = `bench_${randomBytes(4).toString("hex")}:`;
const keyDirs = {
  EdDSA: mkdtempSync(path.join(os.tmpdir(), "bench-eddsa-")),
  ES256: mkdtempSync(path.join(os.tmpdir(), "bench-es256-")),
};
const baseEnv = {
  ...process.env,
  DATABASE_URL: infra.databaseUrl,
  REDIS_URL: infra.redisUrl,
  REDIS_PREFIX: prefix,
  PORT: String(PORT),
};
const children = new Set<ChildProcess>();

async function startServer(env: Record<string, string>) {
  const child = fork(fileURLToPath(new URL("./bench/server.ts", import.meta.url)), {
    env: { ...baseEnv, BENCH_NOAUTH_PORT: String(NOAUTH_PORT), BENCH_HS256_SECRET: HS256_SECRET, ...env },
    execArgv: ["--import", "tsx"],
  });
  children.add(child);
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      children.delete(child);
    },
  };
}
process.once("SIGINT", () => {
  for (const child of children) child.kill("SIGKILL");
  process.exit(130);
});

async function post(url: string, body: object) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, unknown>>;
}

// One user with one real login (a refresh family), made through the real API.
const credentials = { username: `bench_${randomBytes(4).toString("hex")}`, password: "bench-password-1" };
let server = await startServer({ KEY_DIR: keyDirs.EdDSA, BENCH_USER_ID: "00000000-0000-4000-8000-000000000000" });
const { user } = (await post(`http://127.0.0.1:${PORT}/auth/signup`, credentials)) as { user: { id: string } };
const login = (await post(`http://127.0.0.1:${PORT}/auth/login`, credentials)) as { accessToken: string };
const fid = JSON.parse(Buffer.from(login.accessToken.split(".")[1] as string, "base64url").toString()).fid as string;
await server.stop();

async function mint(alg: "EdDSA" | "ES256", count: number) {
  const tokens = createAccessTokens({
    keys: loadKeySet(keyDirs[alg], alg),
    issuer: ISSUER,
    audience: AUDIENCE,
    ttlSeconds: 300,
    clockToleranceSeconds: 5,
    cacheSize: 0,
  });
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push((await tokens.sign({ sub: user.id, ep: 0, fid })).token);
  return out;
}

/**
 * `sent`: requests made, each taking the next token in turn. `fresh`: the tokens were
 * never sent before this measurement (cold); otherwise they are the reused warm set.
 */
type Sample = { rps: number; p99: number; errors: number; sent: number; tokens: number; fresh: boolean };
async function measure(url: string, tokens: string[] | null, seconds: number, fresh = false): Promise<Sample> {
  let next = 0;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: "GET",
        setupRequest: (req) => {
          if (tokens) req.headers = { ...req.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` };
          return req;
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    sent: next,
    tokens: tokens?.length ?? 0,
    fresh,
  };
}

const count = (n: number) => n.toLocaleString("en-US");
/** How many distinct tokens the samples of one figure used, and whether any token was sent twice. */
function tokenUse(samples: Sample[]): string {
  if (samples.every((s) => s.tokens === 0)) return "no token";
  const distinct = samples.map((s) => Math.min(s.sent, s.tokens));
  const low = Math.min(...distinct);
  const high = Math.max(...distinct);
  const range = low === high ? count(low) : `${count(low)}–${count(high)}`;
  if (samples.every((s) => s.fresh && s.sent <= s.tokens)) return `${range} distinct, each used once`;
  return samples.every((s) => !s.fresh) ? `${range} distinct, reused` : `${range} distinct, RAN OUT: some reused`;
}

const samples = new Map<string, Sample[]>();
const record = (name: string, sample: Sample) => {
  samples.set(name, [...(samples.get(name) ?? []), sample]);
  console.log(
    `  ${name.padEnd(28)} ${sample.rps.toFixed(0).padStart(6)} rps  p99 ${sample.p99} ms  errors ${sample.errors}  tokens: ${tokenUse([sample])}`,
  );
};
const WARM = 1_000;
/** Cold tokens for one run: the same run's warm rate (an upper bound: the cache makes warm faster), with room to spare. */
const coldTokensFor = (warm: Sample) => Math.ceil(warm.rps * duration * 1.5) + 2_000;

try {
  for (const alg of ["EdDSA", "ES256"] as const) {
    const warm = await mint(alg, WARM);
    for (const revocation of ["none", "denylist"] as const) {
      server = await startServer({
        KEY_DIR: keyDirs[alg],
        JWT_ALG: alg,
        REVOCATION: revocation,
        BENCH_USER_ID: user.id,
      });
      const label = `${alg} ${revocation}`;
      await measure(`http://127.0.0.1:${NOAUTH_PORT}/me`, null, 1); // warm-up
      await measure(`http://127.0.0.1:${PORT}/me`, warm, 1);
      for (let run = 1; run <= runs; run++) {
        console.log(`[${label}] run ${run}/${runs}`);
        record(`no auth (${label})`, await measure(`http://127.0.0.1:${NOAUTH_PORT}/me`, null, duration));
        const warmSample = await measure(`http://127.0.0.1:${PORT}/me`, warm, duration);
        record(`${label} warm`, warmSample);
        // Minted for this run alone (random jti each), so no earlier run can have cached one.
        const cold = await mint(alg, coldTokensFor(warmSample));
        record(`${label} cold`, await measure(`http://127.0.0.1:${PORT}/me`, cold, duration, true));
      }
      await server.stop();
    }
  }
  server = await startServer({ BENCH_MODE: "peer", KEY_DIR: keyDirs.ES256, BENCH_USER_ID: user.id });
  const es256 = loadKeySet(keyDirs.ES256, "ES256");
  const peerTokens = {
    HS256: Array.from({ length: WARM }, () =>
      jwt.sign({ sub: user.id }, HS256_SECRET, {
        algorithm: "HS256",
        issuer: ISSUER,
        audience: AUDIENCE,
        expiresIn: 300,
      }),
    ),
    ES256: Array.from({ length: WARM }, () =>
      jwt.sign({ sub: user.id }, es256.signer.key, {
        algorithm: "ES256",
        issuer: ISSUER,
        audience: AUDIENCE,
        expiresIn: 300,
      }),
    ),
  };
  for (let run = 1; run <= runs; run++) {
    console.log(`[peer express-jwt] run ${run}/${runs}`);
    record("peer HS256", await measure(`http://127.0.0.1:${PORT}/me`, peerTokens.HS256, duration));
    record("peer ES256", await measure(`http://127.0.0.1:${NOAUTH_PORT}/me`, peerTokens.ES256, duration));
  }
  await server.stop();
} finally {
  for (const child of children) child.kill("SIGKILL");
  await infra.stop();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const rps = (name: string) => median((samples.get(name) ?? []).map((s) => s.rps));
const noAuth = median([...samples].filter(([k]) => k.startsWith("no auth")).flatMap(([, s]) => s.map((x) => x.rps)));
console.log(
  `\nGET /me, ${connections} connections, ${duration} s × ${runs} runs, medians. 2-core machine: load generator, app, Postgres and Redis share it.`,
);
console.log(`no-auth baseline (median over every server): ${noAuth.toFixed(0)} rps\n`);
const rows = [...samples.keys()]
  .filter((k) => !k.startsWith("no auth"))
  .map((name) => {
    const own = name.startsWith("peer") ? noAuth : rps(`no auth (${name.replace(/ (warm|cold)$/, "")})`);
    return {
      target: name,
      rps: Math.round(rps(name)),
      "÷ its no-auth": Number((rps(name) / own).toFixed(2)),
      p99_ms: median((samples.get(name) ?? []).map((s) => s.p99)),
      errors: (samples.get(name) ?? []).reduce((n, s) => n + s.errors, 0),
      "tokens per run": tokenUse(samples.get(name) ?? []),
    };
  });
console.table(rows);
const ratioOf = (name: string) => rows.find((r) => r.target === name)?.["÷ its no-auth"] ?? 0;
for (const alg of ["EdDSA", "ES256"]) {
  for (const [revocation, target] of [
    ["none", 0.9],
    ["denylist", 0.8],
  ] as const) {
    for (const temp of ["warm", "cold"]) {
      const r = ratioOf(`${alg} ${revocation} ${temp}`);
      console.log(
        `${alg} ${revocation} ${temp}: ${r.toFixed(2)}× no-auth (target ≥ ${target}×: ${r >= target ? "PASS" : "MISS"})`,
      );
    }
  }
}
const best = (alg: string) => Math.max(rps(`${alg} none cold`), rps(`${alg} denylist cold`));
console.log(
  `cold ES256 (ours, denylist) ÷ peer ES256: ${(rps("ES256 denylist cold") / rps("peer ES256")).toFixed(2)}×; cold EdDSA none ÷ peer HS256: ${(best("EdDSA") / rps("peer HS256")).toFixed(2)}×`,
);
