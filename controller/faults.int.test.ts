// Faults around a REAL Open vSwitch bridge in secure mode: ovs-vswitchd killed and restarted empty
// (the controller re-installs what its state holds, before any traffic), restarted and given
// flows before the controller reaches it (stale cookies and contradicting flows removed, working
// flows kept), ovsdb-server restarted (the OVSDB session reconnects and monitors again), and the
// controller itself restarted (traffic keeps flowing meanwhile; the new controller adopts the
// flows without flushing them and its mirror equals `ovs-ofctl dump-flows`).
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenFlowController } from "./controller";
import type { ControllerEvent } from "./events";
import { formatActions, formatInstructions, formatMatch } from "./openflow/ofctl";
import { OvsdbSession, type TableUpdates } from "./ovsdb";
import { ovsUnavailableReason, startOvs, type OvsInstance } from "./ovsdb/testing/ovs-instance";
import { createHost, sh, type NsHost, secureBridgeArgs } from "./testing/netns";

const unavailable = ovsUnavailableReason();
const COOKIE = "0xfe77000000000001";
const dpid = "00000000000000f8";
const MOVED = "52:54:00:78:00:99";

function waitEvent(c: OpenFlowController, pred: (e: ControllerEvent) => boolean, timeoutMs: number, what: string): Promise<ControllerEvent> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what}`))), timeoutMs);
    const off = c.events.on((e) => {
      if (pred(e)) {
        clearTimeout(t);
        off();
        resolve(e);
      }
    });
  });
}

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface DumpedFlow {
  cookie: string;
  duration: number;
  packets: number;
  /** "priority=…,match actions=…" as the mirror renders it. */
  text: string;
}

/** Our reading of `ovs-ofctl dump-flows`: cookie, duration and counters apart from the flow itself. */
function parseDump(text: string): DumpedFlow[] {
  return text
    .split("\n")
    .filter((l) => l.includes("actions="))
    .map((l) => {
      const fields = l.trim().split(/,\s*|\s+/);
      const get = (k: string) => fields.find((f) => f.startsWith(`${k}=`))?.slice(k.length + 1) ?? "";
      const rest = fields
        .filter((f) => !/^(cookie|duration|table|n_packets|n_bytes|idle_age|hard_age|idle_timeout|hard_timeout|send_flow_rem|reset_counts)=?/.test(f))
        .join(",")
        .replace(/,actions=/, " actions=");
      return { cookie: get("cookie"), duration: Number.parseFloat(get("duration")), packets: Number(get("n_packets")), text: rest };
    });
}

describe.skipIf(unavailable)("switch and controller faults on a real Open vSwitch bridge", () => {
  let ovs: OvsInstance;
  let controller: OpenFlowController;
  let h1: NsHost;
  let h2: NsHost;
  let sock: string;
  const mgmt = () => `unix:${path.join(ovs.dir, "br0.mgmt")}`;
  const ofctl = (args: string[]) => sh("ovs-ofctl", ["-O", "OpenFlow13", ...args]);
  const dump = async () => parseDump(await ofctl(["dump-flows", mgmt()]));
  const newController = () =>
    new OpenFlowController({
      listen: [{ kind: "unix", path: sock }],
      datapath: { flowStatsIntervalMs: 0, echoIntervalMs: 1000, echoTimeoutMs: 5000 },
    });
  const mirror = () =>
    controller
      .switch(dpid)!
      .flows.entries()
      .map((f) => `${formatMatch(f.match, f.priority, 4)} actions=${f.instructions ? formatInstructions(f.instructions) : formatActions(f.actions ?? [])}`)
      .sort();
  const ping = (count: number) => h1.exec("ping", ["-c", String(count), "-i", "0.2", "-W", "3", h2.ip]);

  async function killVswitchd(): Promise<void> {
    const down = waitEvent(controller, (e) => e.type === "switch_disconnected" && e.dpid === dpid, 15_000, "the bridge to disconnect");
    const pid = Number(fs.readFileSync(path.join(ovs.dir, "ovs-vswitchd.pid"), "utf8"));
    process.kill(pid, "SIGKILL");
    await down;
    await until("the killed ovs-vswitchd to be gone", () => !fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z"));
  }

  async function startVswitchd(): Promise<void> {
    await ovs.exec("ovs-vswitchd", [
      `unix:${ovs.dbSock}`,
      `--unixctl=${path.join(ovs.dir, "ovs-vswitchd.ctl")}`,
      `--pidfile=${path.join(ovs.dir, "ovs-vswitchd.pid")}`,
      `--log-file=${path.join(ovs.dir, "ovs-vswitchd.log")}`,
      "--detach",
      "--no-chdir",
    ]);
  }

  beforeAll(async () => {
    ovs = await startOvs({ netns: `ferry-hz-${randomBytes(3).toString("hex")}`, withVswitchd: true });
    sock = path.join(ovs.dir, "of.sock");
    controller = newController();
    await controller.start();
    h1 = await createHost({ prefix: "ferry-hz-f1", switchNs: ovs.netns!, ip: "10.78.0.1", mac: "52:54:00:78:00:01" });
    h2 = await createHost({ prefix: "ferry-hz-f2", switchNs: ovs.netns!, ip: "10.78.0.2", mac: "52:54:00:78:00:02" });
    const up = waitEvent(controller, (e) => e.type === "switch_connected" && e.dpid === dpid, 15_000, "the bridge to connect");
    await ovs.vsctl(secureBridgeArgs({ dpid: dpid, protocols: "OpenFlow13", ports: [h1.switchPort, h2.switchPort], controller: `unix:${sock}` }));
    await up;
    // Static neighbours: once the flows exist, pings need nothing from the controller.
    await h1.exec("ip", ["neigh", "replace", h2.ip, "lladdr", h2.mac, "dev", "eth0", "nud", "permanent"]);
    await h2.exec("ip", ["neigh", "replace", h1.ip, "lladdr", h1.mac, "dev", "eth0", "nud", "permanent"]);
  }, 60_000);

  afterAll(async () => {
    await h1?.remove();
    await h2?.remove();
    await controller?.stop();
    await ovs?.stop();
  }, 60_000);

  it("ovs-vswitchd killed and restarted empty: the controller re-installs learned and relocation flows before any traffic", async () => {
    expect(await ping(2)).toMatch(/2 received/);
    const report = await controller.relocate({ mac: MOVED, routes: [{ dpid, port: 2 }] });
    expect(report.switches[0]).toMatchObject({ installed: true });
    const before = (await dump()).filter((f) => f.cookie === COOKIE && !f.text.startsWith("priority=0 "));
    expect(before.map((f) => f.text.split(",")[0]).sort()).toEqual(["priority=100", "priority=100", "priority=90"]);

    await killVswitchd();
    const up = waitEvent(controller, (e) => e.type === "switch_connected" && e.dpid === dpid, 20_000, "the bridge to come back");
    await startVswitchd();
    const ev = (await up) as Extract<ControllerEvent, { type: "switch_connected" }>;
    expect(ev.reconciliation).toMatchObject({ reinstalled: 3, removed: 0, adopted: 0 });

    // No packet has crossed the bridge since it came back: these flows are the controller's re-sync.
    const after = await dump();
    expect(after.filter((f) => f.cookie === COOKIE && !f.text.startsWith("priority=0 ")).map((f) => f.text).sort()).toEqual(before.map((f) => f.text).sort());
    expect(after.every((f) => f.packets === 0)).toBe(true);
    expect(mirror()).toEqual(after.map((f) => f.text).sort());
    expect(await ping(2)).toMatch(/2 received/);
  }, 60_000);

  it("ovs-vswitchd restarted and given flows before the controller reaches it: stale cookies and contradicting flows go, working flows stay", async () => {
    expect(await ping(2)).toMatch(/2 received/);
    await killVswitchd();
    // Open vSwitch flushes its table when a primary controller appears (which is also what
    // flow-restore-wait ends with), so the flows are put back while the controller is not listening.
    await controller.stop();
    await startVswitchd();
    const restored = [
      `cookie=${COOKIE},priority=100,in_port=1,dl_src=${h1.mac},dl_dst=${h2.mac},actions=output:2`,
      `cookie=${COOKIE},priority=100,in_port=2,dl_src=${h2.mac},dl_dst=${h1.mac},actions=output:1`,
      `cookie=${COOKIE},priority=0,actions=CONTROLLER:65535`,
      // Contradicts the controller: h2 is on port 2.
      `cookie=${COOKIE},priority=90,dl_dst=${h2.mac},actions=output:1`,
      // Ferry's cookie range, but no cookie this controller uses.
      "cookie=0xfe770000000000aa,priority=80,in_port=1,actions=drop",
      // An operator's flow: not ours to touch.
      "cookie=0x5,priority=40,in_port=9,actions=drop",
    ];
    await until("the bridge to accept flows", () => ofctl(["add-flow", mgmt(), restored[0]!]).then(() => true, () => false));
    for (const f of restored.slice(1)) await ofctl(["add-flow", mgmt(), f]);
    // The same controller instance listens again: it still remembers the bridge's flows.
    const up = waitEvent(controller, (e) => e.type === "switch_connected" && e.dpid === dpid, 20_000, "the bridge to come back");
    await controller.start();
    const ev = (await up) as Extract<ControllerEvent, { type: "switch_connected" }>;
    // Kept: both learned flows; re-installed: the relocation flow for MOVED that was not put back.
    expect(ev.reconciliation).toMatchObject({ adopted: 2, removed: 2, reinstalled: 1 });

    const after = await dump();
    const texts = after.map((f) => `${f.cookie} ${f.text}`);
    expect(texts.some((t) => t.startsWith("0xfe770000000000aa"))).toBe(false);
    expect(texts.filter((t) => t.includes(`dl_dst=${h2.mac} actions=output:1`))).toEqual([]);
    expect(texts).toContain("0x5 priority=40,in_port=9 actions=drop");
    expect(after.filter((f) => f.cookie === COOKIE && f.text.startsWith("priority=100,")).length).toBe(2);
    expect(mirror()).toEqual(after.map((f) => f.text).sort());
    expect(controller.learning.fdb(dpid).lookup(h2.mac, Date.now())).toBe(2);
    expect(await ping(2)).toMatch(/2 received/);
    await ofctl(["del-flows", "--strict", mgmt(), "priority=40,in_port=9"]);
  }, 60_000);

  it("ovsdb-server restarted: the OVSDB session reconnects and monitors again", async () => {
    const session = new OvsdbSession({ path: ovs.dbSock }, { minBackoffMs: 50, maxBackoffMs: 500, maxAttempts: 200 });
    const updates: { u: TableUpdates; resync: boolean }[] = [];
    try {
      const initial = await session.monitor("Open_vSwitch", "hz", { Bridge: { columns: ["name", "external_ids"] } }, (u, info) => updates.push({ u, resync: info.resync }));
      expect(Object.values(initial.Bridge ?? {}).map((r) => r.new?.name)).toEqual(["br0"]);

      const down = new Promise((r) => session.once("disconnected", r));
      const again = new Promise<{ reconnect: boolean }>((r) => session.once("connected", (_c, info) => r(info)));
      const pid = Number(fs.readFileSync(path.join(ovs.dir, "ovsdb-server.pid"), "utf8"));
      process.kill(pid, "SIGTERM");
      await down;
      expect(session.client).toBeUndefined();
      await until("the old ovsdb-server to exit", () => !fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z"));
      await ovs.exec("ovsdb-server", [
        path.join(ovs.dir, "conf.db"),
        `--remote=punix:${ovs.dbSock}`,
        `--unixctl=${path.join(ovs.dir, "ovsdb-server.ctl")}`,
        `--pidfile=${path.join(ovs.dir, "ovsdb-server.pid")}`,
        `--log-file=${path.join(ovs.dir, "ovsdb-server.log")}`,
        "--detach",
        "--no-chdir",
      ]);
      expect(await again).toEqual({ reconnect: true });
      const resync = updates.find((x) => x.resync);
      expect(Object.values(resync!.u.Bridge ?? {}).map((r) => r.new?.name)).toEqual(["br0"]);

      // The monitor issued again delivers live changes.
      await ovs.vsctl(["set", "bridge", "br0", "external_ids:ferry-hz=1"]);
      await until("the change to arrive through the re-issued monitor", () =>
        updates.some((x) => !x.resync && JSON.stringify(x.u.Bridge ?? {}).includes("ferry-hz")),
      );
      expect(await ping(2)).toMatch(/2 received/);
    } finally {
      await session.close();
    }
  }, 60_000);

  it("controller restarted: traffic keeps flowing, and the new controller adopts the flows without flushing them", async () => {
    expect(await ping(2)).toMatch(/2 received/);
    const learned = (flows: DumpedFlow[]) => flows.filter((f) => f.cookie === COOKIE && f.text.startsWith("priority=100,")).sort((a, b) => a.text.localeCompare(b.text));
    const before = learned(await dump());
    expect(before).toHaveLength(2);

    await controller.stop();
    // Secure mode: no controller, but the flows keep forwarding.
    expect(await ping(5)).toMatch(/5 received/);

    controller = newController();
    const up = waitEvent(controller, (e) => e.type === "switch_connected" && e.dpid === dpid, 20_000, "the bridge to reconnect");
    await controller.start();
    const ev = (await up) as Extract<ControllerEvent, { type: "switch_connected" }>;
    expect(ev.reconciliation).toMatchObject({ removed: 0, reinstalled: 0 });
    expect(ev.reconciliation!.adopted).toBeGreaterThanOrEqual(2);

    const after = learned(await dump());
    expect(after.map((f) => f.text)).toEqual(before.map((f) => f.text));
    // Neither deleted nor re-added: their age and counters carried on.
    for (let i = 0; i < after.length; i++) {
      expect(after[i]!.duration).toBeGreaterThanOrEqual(before[i]!.duration);
      expect(after[i]!.packets).toBeGreaterThan(before[i]!.packets);
    }
    expect(mirror()).toEqual((await dump()).map((f) => f.text).sort());
    expect(controller.learning.fdb(dpid).lookup(h2.mac, Date.now())).toBe(2);
    expect(controller.learning.fdb(dpid).lookup(h1.mac, Date.now())).toBe(1);
    expect(await ping(2)).toMatch(/2 received/);
  }, 60_000);
});
