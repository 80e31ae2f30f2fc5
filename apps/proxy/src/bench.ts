/**
 * npm run bench -w apps/proxy [-- --runs 3 --duration 5 --connections 50]
 *
 * Two tiny backends (own processes); GET through: nothing (direct to one
 * backend), the built-in proxy (src/main.ts, every feature on), real HAProxy
 * (config from the same renderer as infra/haproxy), and node-http-proxy.
 * Interleaved runs, medians; throughput at saturation, CPU µs per request from
 * each proxy process's own CPU time, and p99 at a fixed rate below saturation.
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { renderHaproxyConfig } from "./render-haproxy.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const runs = flag("runs", 3);
const duration = flag("duration", 5);
const connections = flag("connections", 50);
const HAPROXY = "/usr/sbin/haproxy";
const ports = { b1: 47301, b2: 47302, builtIn: 47311, admin: 47312, haproxy: 47313, httpProxy: 47314 };
const children = new Set<ChildProcess>();
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

function track(child: ChildProcess) {
  children.add(child);
  return child;
}
const cleanup = () => {
  for (const child of children) child.kill("SIGKILL");
};
process.once("SIGINT", () => {
  cleanup();
  process.exit(130);
});

async function forkReady(file: string, env: Record<string, string>) {
  const child = track(fork(here(file), { env: { ...process.env, ...env }, execArgv: ["--import", "tsx"] }));
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  return child;
}

async function waitUp(url: string) {
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

/** utime + stime of a process in µs (Linux /proc; 100 ticks per second). */
function cpuMicros(pid: number | undefined): number {
  if (!pid) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

try {
  await forkReady("./bench/backend.ts", { PORT: String(ports.b1), BACKEND_ID: "b1" });
  await forkReady("./bench/backend.ts", { PORT: String(ports.b2), BACKEND_ID: "b2" });
  const backends = [ports.b1, ports.b2].map((port, i) => ({
    id: `b${i + 1}`,
    origin: `http://127.0.0.1:${port}`,
    host: "127.0.0.1",
    port,
  }));

  const builtIn = track(
    spawn(process.execPath, ["--import", "tsx", here("./main.ts")], {
      env: {
        ...process.env,
        PROXY_PORT: String(ports.builtIn),
        PROXY_ADMIN_PORT: String(ports.admin),
        PROXY_BACKENDS: backends.map((b) => `${b.id}=${b.origin}`).join(","),
        PROXY_STRATEGY: "round-robin",
        LOG_LEVEL: "warn",
      },
      stdio: "ignore",
    }),
  );
  const httpProxy = await forkReady("./bench/http-proxy-peer.ts", {
    PORT: String(ports.httpProxy),
    TARGETS: backends.map((b) => b.origin).join(","),
  });
  const targets: { name: string; url: string; pid: number | undefined }[] = [
    { name: "direct", url: `http://127.0.0.1:${ports.b1}/`, pid: undefined },
    { name: "built-in", url: `http://127.0.0.1:${ports.builtIn}/`, pid: builtIn.pid },
    { name: "http-proxy", url: `http://127.0.0.1:${ports.httpProxy}/`, pid: httpProxy.pid },
  ];
  if (existsSync(HAPROXY)) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "bench-haproxy-"));
    const cfg = path.join(dir, "haproxy.cfg");
    writeFileSync(
      cfg,
      renderHaproxyConfig({
        frontends: [{ name: "bench", host: "127.0.0.1", port: ports.haproxy, strategy: "round-robin", backends }],
      }),
    );
    const haproxy = track(spawn(HAPROXY, ["-f", cfg, "-db"], { stdio: "ignore" }));
    targets.splice(2, 0, { name: "haproxy", url: `http://127.0.0.1:${ports.haproxy}/`, pid: haproxy.pid });
  } else {
    console.log(`(${HAPROXY} missing: HAProxy left out)`);
  }
  for (const t of targets) await waitUp(t.url);

  type Sample = { rps: number; p99: number; errors: number; cpuUsPerReq: number };
  const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
  const run = async (t: (typeof targets)[number], seconds: number, overallRate?: number): Promise<Sample> => {
    const before = cpuMicros(t.pid);
    const result = await autocannon({
      url: t.url,
      connections,
      duration: seconds,
      ...(overallRate ? { overallRate } : {}),
    });
    const requests = result.requests.total || 1;
    return {
      rps: result.requests.average,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx,
      cpuUsPerReq: (cpuMicros(t.pid) - before) / requests,
    };
  };
  for (const t of targets) await run(t, 1); // warm-up: JIT, pools, health checks
  for (let i = 1; i <= runs; i++) {
    for (const t of i % 2 ? targets : [...targets].reverse()) {
      const s = await run(t, duration);
      samples.get(t.name)?.push(s);
      console.log(
        `[run ${i}/${runs}] ${t.name.padEnd(10)} ${s.rps.toFixed(0).padStart(6)} rps  p99 ${s.p99} ms  ${s.cpuUsPerReq.toFixed(1)} µs CPU/req  errors ${s.errors}`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const med = (name: string, key: keyof Sample) => median((samples.get(name) ?? []).map((s) => s[key]));
  const slowest = Math.min(...targets.filter((t) => t.name !== "direct").map((t) => med(t.name, "rps")));
  const fixedRate = Math.max(100, Math.round((slowest * 0.5) / 100) * 100);
  const fixed = new Map<string, number>();
  for (const t of targets) fixed.set(t.name, (await run(t, duration, fixedRate)).p99);

  console.log(
    `\n${connections} connections, ${duration} s × ${runs} runs, medians. 2-core machine: load generator, proxy and backends share it, so ratios matter, not absolutes.`,
  );
  console.table(
    targets.map((t) => ({
      target: t.name,
      rps: Math.round(med(t.name, "rps")),
      "÷ direct": Number((med(t.name, "rps") / med("direct", "rps")).toFixed(2)),
      p99_ms: med(t.name, "p99"),
      [`p99 @ ${fixedRate}/s`]: fixed.get(t.name),
      "CPU µs/req": t.pid ? Number(med(t.name, "cpuUsPerReq").toFixed(1)) : "-",
      errors: (samples.get(t.name) ?? []).reduce((n, s) => n + s.errors, 0),
    })),
  );
  const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");
  if (samples.has("haproxy")) {
    const tput = med("built-in", "rps") / med("haproxy", "rps");
    const cpu = med("built-in", "cpuUsPerReq") / med("haproxy", "cpuUsPerReq");
    console.log(`built-in ÷ HAProxy throughput: ${tput.toFixed(2)}× (target ≥ 0.7: ${verdict(tput >= 0.7)})`);
    console.log(`built-in ÷ HAProxy CPU per request: ${cpu.toFixed(2)}× (target ≤ 2: ${verdict(cpu <= 2)})`);
  }
  const vsPeer = med("built-in", "rps") / med("http-proxy", "rps");
  console.log(`built-in ÷ http-proxy throughput: ${vsPeer.toFixed(2)}× (target ≥ 1.5: ${verdict(vsPeer >= 1.5)})`);
} finally {
  cleanup();
}
