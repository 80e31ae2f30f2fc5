import { randomBytes } from "node:crypto";
import { Agent } from "undici";
import type { LineSeries } from "../../compare/results.js";
import { defineScenario } from "../../compare/scenario.js";
import { round } from "../../format.js";
import type { Stack, StackSpec } from "../../stack/stack.js";
import { LabUser } from "../../stack/users.js";
import { percentile } from "../../stats.js";

/** One login of a real user: when it was due (ms from the flood's start), its answer, and how long from due to answer. */
export interface LoginSample {
  atMs: number;
  /** 0: no answer (timed out or refused). */
  status: number;
  code: string | null;
  ms: number;
}

export interface FloodRun {
  label: string;
  /** A returning user's logins before the flood: its device cookie, nothing else running. */
  idle: LoginSample[];
  /** The same user during the flood: a known device (it keeps its device cookie). */
  known: LoginSample[];
  /** Another real user during the flood who comes on a new device every time (no device cookie). */
  newDevice: LoginSample[];
  /** The flood's answers by status ("0": none), and how many it sent. */
  flood: Record<string, number>;
  floodRequests: number;
}

export interface AuthFloodObservations {
  clients: number;
  seconds: number;
  runs: FloodRun[];
}

const CLIENTS = 64;
const PASSWORD = "flood-real-pass-1";
/** What a client waits for an answer; past it the request counts as unanswered. */
const TIMEOUT_MS = 10_000;

const stacks: Array<{ label: string; spec: StackSpec }> = [
  // Fresh stacks with the apps' default limits: the flood uses up their signup budget for a window.
  { label: "stateful (sticky)", spec: { app: "stateful", label: "flood-sf", fresh: true } },
  { label: "stateless (round-robin)", spec: { app: "stateless", label: "flood-sl", fresh: true } },
];

/** The flood's own loopback addresses (127.2.0.1 …): one per client, apart from the lab users' 127.1.x.x. */
const floodAddress = (i: number) => `127.2.${Math.floor(i / 254)}.${(i % 254) + 1}`;

/** One flooding client: alternately a signup of a new name and a login of a name nobody has, back to back. */
async function floodClient(stack: Stack, index: number, until: number, tally: (status: number) => void) {
  const agent = new Agent({ localAddress: floodAddress(index), keepAliveTimeout: 1000 });
  const origin = new URL(stack.url).origin;
  try {
    for (let n = 0; Date.now() < until; n++) {
      const username = `fl${index}_${randomBytes(5).toString("hex")}`;
      const path = n % 2 === 0 ? "/auth/signup" : "/auth/login";
      const status = await agent
        .request({
          origin,
          path,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username, password: "flood-pass-123" }),
          headersTimeout: TIMEOUT_MS,
          bodyTimeout: TIMEOUT_MS,
        })
        .then(
          async (res) => {
            await res.body.dump();
            return res.statusCode;
          },
          () => 0,
        );
      tally(status);
    }
  } finally {
    await agent.close();
  }
}

/** Logs `user` in once a second from `start` until `until`; latency from each login's due time (no coordinated omission). */
async function loginEverySecond(stack: Stack, user: LabUser, start: number, until: number, isNewDevice: boolean) {
  const samples: LoginSample[] = [];
  for (let due = start; due < until; due += 1000) {
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    // A new device: it has never logged in, so it carries no device cookie.
    if (isNewDevice) user.cookies.delete("sl_device");
    const reply = await user
      .call(stack.url, "POST", "/auth/login", { username: user.username, password: user.password })
      .catch(() => ({ status: 0, code: null }));
    samples.push({ atMs: due - start, status: reply.status, code: reply.code, ms: Date.now() - due });
  }
  return samples;
}

async function realUser(stack: Stack, tag: string): Promise<LabUser> {
  const user = new LabUser(
    stack.app === "stateful" ? "cookie" : "bearer",
    `real_${tag}_${randomBytes(3).toString("hex")}`,
    PASSWORD,
  );
  const signup = await user.signup(stack.url);
  if (signup.status !== 201) throw new Error(`signup of ${user.username} failed: ${signup.status} ${signup.code}`);
  // Its first login hands the device its cookie: from then on it is a returning user.
  await user.login(stack.url);
  return user;
}

const ok = (samples: readonly LoginSample[]) => samples.filter((s) => s.status === 200).length;
const p = (samples: readonly LoginSample[], q: number) =>
  percentile(
    samples.map((s) => s.ms),
    q,
  ) ?? 0;
const statuses = (samples: readonly LoginSample[]) => {
  const counts = new Map<string, number>();
  for (const s of samples) {
    const key = s.status === 0 ? "no answer" : `${s.status}${s.code ? ` ${s.code}` : ""}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${count}× ${key}`).join(", ");
};
const TARGET_P99_MS = 2000;

/**
 * Scenario: auth-flood. 64 clients, each from an address of its own, flood signups and
 * logins of unknown users (each costs an argon2 hash, the dummy one for unknown users)
 * while a returning user logs in once a second. Without bounds the hashes queue up until
 * real logins time out at the proxy; with them (signup limits, per-IP failure limits, the
 * bounded fair hash queue and its known-device lane) the flood gets fast 429/503s and the
 * returning user gets in. A second real user, on a new device every time, shows what the
 * known-device lane is worth.
 */
export const authFlood = defineScenario({
  id: "auth-flood",
  title: "Auth flood: signups and unknown-user logins from 64 clients",
  question:
    "While 64 clients flood signup and login with work that costs an argon2 hash each, does a returning user still log in, and how fast?",
  timing: {
    quick: { estimateSeconds: 75, seconds: 15 },
    full: { estimateSeconds: 170, seconds: 60 },
  },
  async run(ctx, { seconds }): Promise<AuthFloodObservations> {
    const runs: FloodRun[] = [];
    for (const { label, spec } of stacks) {
      const stack = await ctx.stack(spec);
      const known = await realUser(stack, "known");
      const newDevice = await realUser(stack, "new");
      const bar = ctx.progress(label, seconds + 3);
      const idleStart = Date.now() + 100;
      const idle = await loginEverySecond(stack, known, idleStart, idleStart + 3000, false);
      bar.update(3);
      const flood: Record<string, number> = {};
      let floodRequests = 0;
      const start = Date.now();
      const until = start + seconds * 1000;
      const ticker = setInterval(
        () => bar.update(3 + Math.min(seconds, Math.round((Date.now() - start) / 1000))),
        1000,
      );
      try {
        const [knownSamples, newSamples] = await Promise.all([
          // The real users start once the flood has filled the queues.
          loginEverySecond(stack, known, start + 2000, until, false),
          loginEverySecond(stack, newDevice, start + 2500, until, true),
          ...Array.from({ length: CLIENTS }, (_, i) =>
            floodClient(stack, i, until, (status) => {
              floodRequests++;
              flood[String(status)] = (flood[String(status)] ?? 0) + 1;
            }),
          ),
        ]);
        runs.push({
          label,
          idle,
          known: knownSamples as LoginSample[],
          newDevice: newSamples as LoginSample[],
          flood,
          floodRequests,
        });
      } finally {
        clearInterval(ticker);
        bar.done();
      }
    }
    return { clients: CLIENTS, seconds, runs };
  },
  measure({ clients, seconds, runs }) {
    const row = (run: FloodRun, who: string, samples: LoginSample[]) => [
      run.label,
      who,
      samples.length,
      ok(samples),
      round(p(samples, 50), 0),
      round(p(samples, 99), 0),
      round(Math.max(0, ...samples.map((s) => s.ms)), 0),
      statuses(samples),
    ];
    const floodStatus = (run: FloodRun, status: string) => run.flood[status] ?? 0;
    const floodStatuses = ["201", "401", "429", "503", "504", "0"];
    const reading = runs.flatMap((run) => {
      const hashed = floodStatus(run, "201") + floodStatus(run, "401");
      return [
        `${run.label}: the returning user (known device) logged in ${ok(run.known)} of ${run.known.length} times during the flood, ` +
          `p99 ${round(p(run.known, 99), 0)} ms (${round(p(run.idle, 50), 0)} ms median before it; target: every login, p99 ≤ ${TARGET_P99_MS} ms). ` +
          `On a new device each time: ${ok(run.newDevice)} of ${run.newDevice.length}, p99 ${round(p(run.newDevice, 99), 0)} ms — ${statuses(run.newDevice)}.`,
        `${run.label}: the flood sent ${run.floodRequests} requests (${round(run.floodRequests / seconds, 0)}/s); ` +
          `${hashed} got a hash (${floodStatus(run, "201")} signups, ${floodStatus(run, "401")} unknown-user logins), ` +
          `${floodStatus(run, "429")} were refused by a limit or their client's share of the queue (429), ${floodStatus(run, "503")} by a full queue (503), ` +
          `${floodStatus(run, "504") + floodStatus(run, "0")} timed out.`,
      ];
    });
    reading.push(
      "A returning user's device cookie puts its login in the hash queue's known-device lane, served before anonymous work; " +
        "a new device waits its turn among the flood's addresses (each client address has a fair share), so during a flood it may be told 503 — retry later — rather than hang. " +
        "Latency counts from when each login was due, one a second: a login that takes longer than a second delays the next ones, and they count the wait.",
    );
    const latencySeries = (run: FloodRun, who: string, samples: LoginSample[]): LineSeries => ({
      label: `${run.label}: ${who}`,
      points: samples.filter((s) => s.status === 200).map((s) => [round(s.atMs / 1000, 1), s.ms]),
    });
    return {
      tables: [
        {
          caption: `Real users' logins, once a second, while ${clients} clients flood for ${seconds} s (ms from each login's due time)`,
          columns: ["stack", "user", "logins", "ok", "p50 ms", "p99 ms", "max ms", "answers"],
          rows: runs.flatMap((run) => [
            row(run, "returning, before the flood", run.idle),
            row(run, "returning (known device)", run.known),
            row(run, "new device every time", run.newDevice),
          ]),
        },
        {
          caption: "The flood's answers",
          columns: [
            "stack",
            "requests",
            "201 signup",
            "401 unknown user",
            "429 limited",
            "503 busy",
            "504",
            "no answer",
          ],
          rows: runs.map((run) => [
            run.label,
            run.floodRequests,
            ...floodStatuses.map((status) => floodStatus(run, status)),
          ]),
        },
      ],
      charts: [
        {
          kind: "line",
          title: "Successful real-user logins during the flood (latency from due time)",
          xLabel: "seconds into the flood",
          yLabel: "ms",
          series: runs.flatMap((run) => [
            latencySeries(run, "known device", run.known),
            latencySeries(run, "new device", run.newDevice),
          ]),
          markers: [],
        },
        {
          kind: "bar",
          title: "How the flood was answered",
          yLabel: "requests",
          categories: runs.map((run) => run.label),
          series: [
            { label: "hashed (201/401)", values: runs.map((run) => floodStatus(run, "201") + floodStatus(run, "401")) },
            { label: "429", values: runs.map((run) => floodStatus(run, "429")) },
            { label: "503", values: runs.map((run) => floodStatus(run, "503")) },
            { label: "timed out", values: runs.map((run) => floodStatus(run, "504") + floodStatus(run, "0")) },
          ],
          stacked: true,
        },
      ],
      reading,
      outcomes: Object.fromEntries(
        runs.map((run) => [
          run.label,
          {
            ok: ok(run.known),
            fail: run.known.filter((s) => s.status !== 200 && s.status !== 0).length,
            unknown: run.known.filter((s) => s.status === 0).length,
          },
        ]),
      ),
    };
  },
  invariants({ runs }) {
    return runs.flatMap((run) => [
      {
        name: `every login of a returning user succeeds during the flood: ${run.label}`,
        holds: run.known.length > 0 && ok(run.known) === run.known.length,
        detail: `${ok(run.known)} of ${run.known.length} (${statuses(run.known)})`,
      },
      {
        name: `a returning user's login p99 ≤ ${TARGET_P99_MS / 1000} s during the flood: ${run.label}`,
        holds: run.known.length > 0 && p(run.known, 99) <= TARGET_P99_MS,
        detail: `p99 ${round(p(run.known, 99), 0)} ms over ${run.known.length} logins`,
      },
    ]);
  },
});
