// Acceptance: Ferry's controller drives REAL Open vSwitch (userspace datapath, in its own network
// namespace) for both OpenFlow 1.0 and 1.3. Two namespace hosts ping and exchange TCP through the
// learning switch; the flow mirror equals `ovs-ofctl dump-flows`; idle timeouts produce
// FLOW_REMOVED and the traffic monitor's byte count equals what the host sent; a controller
// restart cleans our stale flows; an ovs-vswitchd restart reconnects and traffic flows again.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenFlowController } from "./controller";
import type { ControllerEvent } from "./events";
import { formatActions, formatInstructions, formatMatch } from "./openflow/ofctl";
import { ovsUnavailableReason, startOvs, type OvsInstance } from "./ovsdb/testing/ovs-instance";
import { createHost, sh, type NsHost, secureBridgeArgs } from "./testing/netns";

const COOKIE = 0xfe77_0000_0000_0001n;
const unavailable = ovsUnavailableReason();

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

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** "priority=…,match actions=…" lines, without cookie/duration/counters/timeouts, sorted. */
function normaliseDump(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => l.includes("actions="))
    .map((l) =>
      l
        .trim()
        .split(/,\s*|\s+/)
        .filter((f) => !/^(cookie|duration|table|n_packets|n_bytes|idle_age|hard_age|idle_timeout|hard_timeout|send_flow_rem|reset_counts)=?/.test(f))
        .join(",")
        .replace(/,actions=/, " actions="),
    )
    .sort();
}

describe.skipIf(unavailable).each([
  { protocol: "OpenFlow10", version: 1 },
  { protocol: "OpenFlow13", version: 4 },
])("learning switch on real Open vSwitch, $protocol", ({ protocol, version }) => {
  let ovs: OvsInstance;
  let controller: OpenFlowController;
  let h1: NsHost;
  let h2: NsHost;
  let sock: string;
  const dpid = version === 1 ? "0000000000000a10" : "0000000000000a13";
  const children: ChildProcess[] = [];
  const ofctl = (args: string[]) => sh("ovs-ofctl", ["-O", protocol, ...args]);
  const mgmt = () => `unix:${path.join(ovs.dir, "br0.mgmt")}`;

  beforeAll(async () => {
    ovs = await startOvs({ withVswitchd: true });
    sock = path.join(ovs.dir, "of.sock");
    controller = new OpenFlowController({
      listen: [{ kind: "unix", path: sock }],
      learningSwitch: { flowIdleTimeout: 2 },
      datapath: { flowStatsIntervalMs: 0, echoIntervalMs: 1000, echoTimeoutMs: 5000 },
    });
    await controller.start();
    h1 = await createHost({ prefix: "fo-h1", switchNs: ovs.netns!, ip: "10.0.0.1", mac: "52:54:00:00:0a:01" });
    h2 = await createHost({ prefix: "fo-h2", switchNs: ovs.netns!, ip: "10.0.0.2", mac: "52:54:00:00:0a:02" });
    const up = waitEvent(controller, (e) => e.type === "switch_connected", 15_000, "switch to connect");
    await ovs.vsctl(secureBridgeArgs({ dpid: dpid, protocols: protocol, ports: [h1.switchPort, h2.switchPort], controller: `unix:${sock}` }));
    expect(await up).toMatchObject({ dpid, version });
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await h1?.remove();
    await h2?.remove();
    await controller?.stop();
    await ovs?.stop();
  }, 60_000);

  it("forwards ping between two hosts and installs one flow per direction", async () => {
    const out = await h1.exec("ping", ["-c", "3", "-i", "0.2", "-W", "2", h2.ip]);
    expect(out).toMatch(/3 packets transmitted, 3 received/);
    const dp = controller.switch(dpid)!;
    const learned = dp.flows.entries().filter((f) => f.priority === 100);
    expect(learned.map((f) => [f.match.eth_src, f.match.eth_dst]).sort()).toEqual([
      [h1.mac, h2.mac],
      [h2.mac, h1.mac],
    ]);
  });

  it("mirrors exactly what ovs-ofctl dump-flows shows", async () => {
    await h1.exec("ping", ["-c", "2", "-i", "0.2", "-W", "2", h2.ip]);
    const dp = controller.switch(dpid)!;
    const mirror = dp.flows
      .entries()
      .map((f) => `${formatMatch(f.match, f.priority, version)} actions=${f.instructions ? formatInstructions(f.instructions) : formatActions(f.actions ?? [])}`)
      .sort();
    const dumped = normaliseDump(await ofctl(["dump-flows", mgmt()]));
    expect(mirror.length).toBeGreaterThan(0);
    expect(mirror).toEqual(dumped);
  });

  it("carries TCP across the switch", async () => {
    const server = spawn("ip", ["netns", "exec", h2.ns, process.execPath, "-e", `
      const s = require("net").createServer((c) => { let n = 0; c.on("data", (d) => n += d.length); c.on("end", () => c.end(String(n))); });
      s.listen(5001, "${h2.ip}", () => console.log("listening"));
      setTimeout(() => process.exit(0), 20000);`], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(server);
    await new Promise<void>((resolve) => server.stdout!.once("data", () => resolve()));
    const reply = await h1.exec(process.execPath, ["-e", `
      const c = require("net").connect(5001, "${h2.ip}", () => c.end(Buffer.alloc(200000, 7)));
      let r = ""; c.on("data", (d) => r += d); c.on("end", () => { console.log(r); process.exit(0); });
      setTimeout(() => { console.log("timeout"); process.exit(1); }, 10000);`], 15_000);
    expect(reply).toBe("200000");
    server.kill();
  });

  it("gets FLOW_REMOVED on idle timeout and counts exactly the bytes the host sent", async () => {
    // Static neighbours: after the flows exist, every frame h1 sends is h1→h2 and hits its flow.
    await h1.exec("ip", ["neigh", "replace", h2.ip, "lladdr", h2.mac, "dev", "eth0", "nud", "permanent"]);
    await h2.exec("ip", ["neigh", "replace", h1.ip, "lladdr", h1.mac, "dev", "eth0", "nud", "permanent"]);
    const dp = controller.switch(dpid)!;
    const ours = () => dp.flows.entries().filter((f) => f.priority === 100 && f.match.eth_src === h1.mac).length;
    // Let earlier flows expire so the count starts from a clean slate.
    await until("earlier flows to expire", async () => ours() === 0, 10_000);
    await h1.exec("ping", ["-c", "2", "-i", "0.2", "-W", "2", h2.ip]);
    await until("h1→h2 flow", async () => ours() === 1);

    // The userspace datapath pushes flow counters to the flow table in revalidator rounds;
    // wait for one so the poll is current.
    await ovs.appctl("ovs-vswitchd", ["revalidator/wait"]);
    await dp.refreshFlows();
    const before = controller.monitor.countersFor(h1.mac).bytes;
    const tx0 = await h1.txBytes();
    await h1.exec("ping", ["-c", "10", "-i", "0.05", "-s", "300", "-W", "2", h2.ip]);
    const tx1 = await h1.txBytes();

    const removed = await waitEvent(controller, (e) => e.type === "flow_removed" && e.summary.includes(`dl_src=${h1.mac}`), 10_000, "FLOW_REMOVED for h1's flow");
    expect(removed).toMatchObject({ reason: 0 }); // OFPRR_IDLE_TIMEOUT
    const after = controller.monitor.countersFor(h1.mac).bytes;
    expect(tx1 - tx0).toBe(10 * (14 + 20 + 8 + 300));
    expect(Number(after - before)).toBe(tx1 - tx0);
  });

  it("removes its stale flows when it reconnects, and leaves other flows alone", async () => {
    await ofctl(["add-flow", mgmt(), `cookie=0x${COOKIE.toString(16)},priority=50,in_port=2,actions=drop`]);
    await ofctl(["add-flow", mgmt(), "cookie=0x5,priority=40,in_port=2,actions=drop"]);
    await controller.stop();
    controller = new OpenFlowController({
      listen: [{ kind: "unix", path: sock }],
      learningSwitch: { flowIdleTimeout: 2 },
      datapath: { flowStatsIntervalMs: 0, echoIntervalMs: 1000, echoTimeoutMs: 5000 },
    });
    const up = waitEvent(controller, (e) => e.type === "switch_connected", 15_000, "reconnect after controller restart");
    await controller.start();
    await up;
    const flows = await ofctl(["dump-flows", mgmt()]);
    expect(flows).not.toMatch(/priority=50/);
    expect(flows).toMatch(/cookie=0x5.*priority=40/);
    await ofctl(["del-flows", "--strict", mgmt(), "priority=40,in_port=2"]);
    expect(await h1.exec("ping", ["-c", "2", "-i", "0.2", "-W", "2", h2.ip])).toMatch(/2 received/);
  });

  it("reconnects after ovs-vswitchd restarts and forwards again", async () => {
    const down = waitEvent(controller, (e) => e.type === "switch_disconnected", 15_000, "disconnect");
    const pid = Number(fs.readFileSync(path.join(ovs.dir, "ovs-vswitchd.pid"), "utf8"));
    process.kill(pid, "SIGTERM");
    await down;
    await until("old vswitchd to exit", async () => !fs.existsSync(`/proc/${pid}`), 10_000);
    const up = waitEvent(controller, (e) => e.type === "switch_connected", 20_000, "reconnect after vswitchd restart");
    await ovs.exec("ovs-vswitchd", [
      `unix:${ovs.dbSock}`,
      `--unixctl=${path.join(ovs.dir, "ovs-vswitchd.ctl")}`,
      `--pidfile=${path.join(ovs.dir, "ovs-vswitchd.pid")}`,
      `--log-file=${path.join(ovs.dir, "ovs-vswitchd.log")}`,
      "--detach",
      "--no-chdir",
    ]);
    expect(await up).toMatchObject({ dpid });
    expect(await h1.exec("ping", ["-c", "2", "-i", "0.2", "-W", "2", h2.ip])).toMatch(/2 received/);
  }, 40_000);
});
