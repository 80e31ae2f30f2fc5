import { afterEach, describe, expect, it } from "vitest";
import { Supervisor } from "../../stack/children.js";
import type { Stack } from "../../stack/stack.js";
import { LabControl } from "./control.js";
import { ControlError, type FaultRequest } from "./faults.js";

// Real processes (a node that idles), no proxy: what the control does to processes and undos.
const supervisors: Supervisor[] = [];
const controls: LabControl[] = [];

afterEach(async () => {
  await Promise.all(controls.splice(0).map((control) => control.close()));
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stopAll(1000)));
});

async function labOf(ids: string[]) {
  const supervisor = new Supervisor();
  supervisors.push(supervisor);
  const instances = ids.map((id) => ({
    id,
    url: "http://127.0.0.1:9",
    port: 9,
    child: supervisor.add({
      name: id,
      command: process.execPath,
      args: ["-e", "setInterval(() => {}, 1000)"],
      env: {},
      isReady: async () => true,
    }),
  }));
  await Promise.all(instances.map((instance) => instance.child.start()));
  const stack = { label: "sf", app: "stateful", instances, adminUrl: null } as unknown as Stack;
  const control = new LabControl({ stacks: [stack], servers: [] }, () => {});
  controls.push(control);
  return { control, child: (i: number) => instances[i]?.child };
}

const fault = (kind: FaultRequest["kind"], target: string, forMs: number | null = null): FaultRequest => ({
  kind,
  target,
  value: null,
  forMs,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("LabControl", () => {
  it("kill --for: the process dies, and is started again by itself after the duration", async () => {
    const { control, child } = await labOf(["sf-1"]);
    const pid = child(0)?.pid;
    const record = await control.apply(fault("kill", "sf-1", 300));
    expect(record).toMatchObject({ kind: "kill", stack: "sf", undoOf: null });
    expect(record.undoAt).not.toBeNull();
    expect(child(0)?.isRunning).toBe(false);
    for (let i = 0; i < 50 && !child(0)?.isRunning; i++) await sleep(100);
    expect(child(0)?.isRunning).toBe(true);
    expect(child(0)?.pid).not.toBe(pid);
    expect(control.records().at(-1)).toMatchObject({ kind: "restart", undoOf: record.id });
  });

  it("a later fault on the same target cancels the pending undo: paused --for, then killed, stays dead", async () => {
    const { control, child } = await labOf(["sf-1"]);
    await control.apply(fault("pause", "sf-1", 2000));
    expect(child(0)?.isPaused).toBe(true);
    await control.apply(fault("kill", "sf-1"));
    await sleep(2500);
    expect(child(0)?.isRunning).toBe(false);
    expect(control.records().map((r) => r.kind)).toEqual(["pause", "kill"]);
  });

  it("unknown target → 404, a dead instance cannot be paused → 409; close() drops pending undos", async () => {
    const { control, child } = await labOf(["sf-1", "sf-2"]);
    const codeOf = (work: () => unknown) =>
      Promise.resolve()
        .then(work)
        .then(
          () => "no error",
          (error) => (error instanceof ControlError ? error.code : String(error)),
        );
    expect(await codeOf(() => control.apply(fault("kill", "sf-9")))).toBe("not_found");
    await control.apply(fault("kill", "sf-1"));
    expect(await codeOf(() => control.apply(fault("pause", "sf-1")))).toBe("conflict");
    await control.apply(fault("kill", "sf-2", 300));
    await control.close();
    await sleep(600);
    expect(child(1)?.isRunning).toBe(false);
    expect(await codeOf(() => control.apply(fault("restart", "sf-2")))).toBe("conflict");
  });
});
