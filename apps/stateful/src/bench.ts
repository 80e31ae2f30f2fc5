/**
 * npm run bench -w apps/stateful [-- --runs 5 --duration 5 --connections 20]
 *
 * GET /me with a valid session vs the same route without auth, same build,
 * same process, interleaved runs; prints medians and the ratio. Loopback only,
 * every run bounded in time. Uses the lab's Postgres and Redis (started if needed).
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { loadInfraConfig, startInfra } from "@statelab/infra";
import autocannon from "autocannon";

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = flag("runs", 5);
const duration = flag("duration", 5);
const connections = flag("connections", 20);
const AUTH_PORT = 47191;
const NOAUTH_PORT = 47192;

const infra = await startInfra(loadInfraConfig(), { log: (l) => console.log(`[infra] ${l}`) });
const secret = randomBytes(32).toString("base64url");
const prefix = `bench_${randomBytes(4).toString("hex")}:`;
const base = `http://127.0.0.1:${AUTH_PORT}`;

// A user and a session, made through the real API.
const username = `bench_${randomBytes(4).toString("hex")}`;
const password = "bench-password-1";
const env = {
  ...process.env,
  DATABASE_URL: infra.databaseUrl,
  REDIS_URL: infra.redisUrl,
  REDIS_PREFIX: prefix,
  SESSION_SECRET: secret,
};

async function startServer(userId: string) {
  const child = fork(fileURLToPath(new URL("./bench/server.ts", import.meta.url)), {
    env: { ...env, BENCH_AUTH_PORT: String(AUTH_PORT), BENCH_NOAUTH_PORT: String(NOAUTH_PORT), BENCH_USER_ID: userId },
    execArgv: ["--import", "tsx", ...(process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] : [])],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return child;
}

let server = await startServer("00000000-0000-4000-8000-000000000000");
const signup = await fetch(`${base}/auth/signup`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ username, password }),
});
const { user } = (await signup.json()) as { user: { id: string } };
server.kill();
server = await startServer(user.id);
const login = await fetch(`${base}/auth/login`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ username, password }),
});
const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
if (!login.ok || !cookie) throw new Error(`login failed: ${login.status}`);

async function measure(url: string, headers: Record<string, string>, seconds: number) {
  const result = await autocannon({ url, connections, duration: seconds, headers });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

const targets = {
  "no auth": { url: `http://127.0.0.1:${NOAUTH_PORT}/me`, headers: {} },
  session: { url: `${base}/me`, headers: { cookie } },
};
const samples: Record<string, { rps: number; p50: number; p99: number; errors: number }[]> = {
  "no auth": [],
  session: [],
};
try {
  for (const t of Object.values(targets)) await measure(t.url, t.headers, 1); // warm-up
  for (let run = 1; run <= runs; run++) {
    for (const [name, t] of Object.entries(targets)) {
      const sample = await measure(t.url, t.headers, duration);
      (samples[name] as (typeof sample)[]).push(sample);
      console.log(
        `[run ${run}/${runs}] ${name.padEnd(8)} ${sample.rps.toFixed(0)} rps  p50 ${sample.p50} ms  p99 ${sample.p99} ms  errors ${sample.errors}`,
      );
    }
  }
} finally {
  server.kill();
  await infra.stop();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log(
  `\nGET /me, ${connections} connections, ${duration} s × ${runs} runs, medians (2-core machine: load generator, app, Postgres and Redis share it)`,
);
const rows = Object.entries(samples).map(([name, s]) => ({
  target: name,
  rps: Math.round(median(s.map((x) => x.rps))),
  p50_ms: median(s.map((x) => x.p50)),
  p99_ms: median(s.map((x) => x.p99)),
  errors: s.reduce((n, x) => n + x.errors, 0),
}));
console.table(rows);
const ratio = (rows[1]?.rps ?? 0) / (rows[0]?.rps ?? 1);
console.log(`session ÷ no-auth rps: ${ratio.toFixed(2)}×  (target ≥ 0.75×: ${ratio >= 0.75 ? "PASS" : "MISS"})`);
