import { describe, expect, it } from "vitest";
import { Subsystems, type Subsystem } from "./subsystems";

function recorder(name: string, calls: string[], failStart = false): Subsystem {
  return {
    name,
    start: async () => {
      calls.push(`start ${name}`);
      if (failStart) throw new Error("boom");
    },
    stop: async () => {
      calls.push(`stop ${name}`);
    },
  };
}

describe("Subsystems", () => {
  it("starts in order and stops in reverse order", async () => {
    const calls: string[] = [];
    const s = new Subsystems();
    s.add(recorder("controller", calls));
    s.add(recorder("lab", calls));
    await s.startAll();
    expect(s.list().map((x) => x.state)).toEqual(["running", "running"]);
    await s.stopAll();
    expect(calls).toEqual(["start controller", "start lab", "stop lab", "stop controller"]);
    expect(s.list().map((x) => x.state)).toEqual(["stopped", "stopped"]);
  });

  it("stops what already started when a later one fails, and says which failed", async () => {
    const calls: string[] = [];
    const s = new Subsystems();
    s.add(recorder("controller", calls));
    s.add(recorder("lab", calls, true));
    await expect(s.startAll()).rejects.toThrow("lab failed to start: boom");
    expect(calls).toEqual(["start controller", "start lab", "stop controller"]);
    expect(s.list().find((x) => x.name === "lab")).toMatchObject({ state: "failed", error: "boom" });
  });
});
