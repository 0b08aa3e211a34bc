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

  it("stops and starts one subsystem by name while the others keep running (lab down / lab up)", async () => {
    const calls: string[] = [];
    const s = new Subsystems();
    s.add(recorder("controller", calls));
    s.add(recorder("lab", calls));
    await s.startAll();
    expect(await s.stopOne("lab")).toMatchObject({ name: "lab", state: "stopped" });
    expect(await s.stopOne("lab")).toMatchObject({ state: "stopped" });
    expect(s.list().map((x) => x.state)).toEqual(["running", "stopped"]);
    expect(await s.startOne("lab")).toMatchObject({ state: "running" });
    expect(await s.startOne("lab")).toMatchObject({ state: "running" });
    expect(calls).toEqual(["start controller", "start lab", "stop lab", "start lab"]);
    await expect(s.startOne("router")).rejects.toThrow('no subsystem "router" on this server');
  });

  it("takes down what a failed single start brought up, and reports the failure", async () => {
    const calls: string[] = [];
    const s = new Subsystems();
    s.add(recorder("lab", calls, true));
    await expect(s.startOne("lab")).rejects.toThrow("lab failed to start: boom");
    expect(calls).toEqual(["start lab", "stop lab"]);
    expect(s.list()[0]).toMatchObject({ state: "failed", error: "boom" });
  });
});
