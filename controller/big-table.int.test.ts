// A REAL Open vSwitch bridge that already holds 10,000 flows when the controller first reaches it
// (an administrator's bridge: 5,000 flows of the operator's own, 5,000 stale ones with Ferry's
// cookie), over a slow control link. The handshake's bound covers the handshake's exchanges, not
// the flow-table read, whose time grows with the table: the read is bounded by its progress (each
// part of the reply), so the switch connects; the stale flows are deleted, the operator's kept, and
// the mirror built from that one read equals the switch's table.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenFlowController } from "./controller";
import type { ControllerEvent } from "./events";
import { ovsUnavailableReason, startOvs, type OvsInstance } from "./ovsdb/testing/ovs-instance";
import { sh, secureBridgeArgs } from "./testing/netns";

const unavailable = ovsUnavailableReason();
const dpid = "00000000000b1610";
const FOREIGN = 5_000;
const STALE = 5_000;
// The link lets 8 KiB through every 50 ms towards the controller (160 KiB/s), so the ~720 KB
// table takes seconds to arrive as a whole while no part of it takes more than a fraction of one.
const LINK = { chunkBytes: 8 * 1024, everyMs: 50 };
// Both bounds are below the table's time on that link and far above any one exchange on it.
const BOUNDS = { handshakeTimeoutMs: 3_000, requestTimeoutMs: 3_000 };

/**
 * A slow control link between the switch and the controller: a UNIX-socket relay that passes the
 * controller's bytes at once and the switch's at LINK's rate (as a thin WAN link would).
 */
function slowLink(listenPath: string, controllerPath: string): Promise<net.Server> {
  const server = net.createServer((sw) => {
    const ctl = net.connect(controllerPath);
    const queue: Buffer[] = [];
    const tick = setInterval(() => {
      let budget = LINK.chunkBytes;
      while (budget > 0 && queue.length > 0) {
        const head = queue[0]!;
        const n = Math.min(budget, head.length);
        ctl.write(head.subarray(0, n));
        budget -= n;
        if (n === head.length) queue.shift();
        else queue[0] = head.subarray(n);
      }
    }, LINK.everyMs);
    const end = () => {
      clearInterval(tick);
      sw.destroy();
      ctl.destroy();
    };
    sw.on("data", (d) => queue.push(d));
    ctl.on("data", (d) => sw.write(d));
    for (const s of [sw, ctl]) {
      s.on("error", end);
      s.on("close", end);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPath, () => resolve(server));
  });
}

function waitEvent(c: OpenFlowController, pred: (e: ControllerEvent) => boolean, timeoutMs: number, what: string): Promise<ControllerEvent> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const t = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what}; events: ${seen.join(" | ")}`))), timeoutMs);
    const off = c.events.on((e) => {
      if (e.type === "error" || e.type === "switch_disconnected") seen.push(e.type === "error" ? e.message : e.reason);
      if (pred(e)) {
        clearTimeout(t);
        off();
        resolve(e);
      }
    });
  });
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

describe.skipIf(unavailable)("a bridge holding 10,000 flows, reached over a slow link", () => {
  let ovs: OvsInstance;
  let controller: OpenFlowController;
  let link: net.Server;
  let connected: ControllerEvent;
  const ofctl = (args: string[]) => ovs.exec("ovs-ofctl", ["-O", "OpenFlow13", ...args]);
  const mgmt = () => `unix:${path.join(ovs.dir, "br0.mgmt")}`;
  const flowCount = async (filter?: string) => Number(/flow_count=(\d+)/.exec(await ofctl(["dump-aggregate", mgmt(), ...(filter ? [filter] : [])]))?.[1]);

  beforeAll(async () => {
    // FERRY_TEST_NS_PREFIX lets whoever runs the file pick the namespace's name on a shared machine.
    const prefix = process.env.FERRY_TEST_NS_PREFIX;
    ovs = await startOvs({ withVswitchd: true, netns: prefix ? `${prefix}bt-${randomBytes(2).toString("hex")}` : undefined });
    // ovs-vswitchd only connects to UNIX-socket controllers inside its run directory.
    const linkSock = path.join(ovs.dir, "slow-link.sock");
    const controllerSock = path.join(ovs.dir, "of.sock");
    // The controller is configured before the flows go in (a bridge whose first controller is
    // added later flushes its table), but nothing listens yet: the flows are there when it connects.
    await ovs.vsctl(secureBridgeArgs({ dpid, protocols: "OpenFlow13", ports: [], controller: `unix:${linkSock}` }));
    const lines: string[] = [];
    for (let i = 0; i < FOREIGN; i++) {
      lines.push(`cookie=0x${hex(0xbc0000 + i, 6)},priority=${100 + (i % 50)},dl_src=02:bc:00:${hex(i >> 8, 2)}:${hex(i & 0xff, 2)}:01,dl_dst=02:bc:00:00:00:ff,actions=drop`);
    }
    // Ferry's cookie on flows of a shape it never installs: stale, to be deleted on connect.
    for (let i = 0; i < STALE; i++) {
      lines.push(`cookie=0xfe77000000000001,priority=100,dl_src=02:fe:00:${hex(i >> 8, 2)}:${hex(i & 0xff, 2)}:01,dl_dst=02:fe:00:00:00:ff,actions=drop`);
    }
    const file = path.join(ovs.dir, "flows.txt");
    fs.writeFileSync(file, lines.join("\n") + "\n");
    await sh("ip", ["netns", "exec", ovs.netns!, "ovs-ofctl", "-O", "OpenFlow13", "add-flows", mgmt(), file], 120_000);
    expect(await flowCount()).toBe(FOREIGN + STALE);

    controller = new OpenFlowController({ listen: [{ kind: "unix", path: controllerSock }], datapath: { flowStatsIntervalMs: 0, ...BOUNDS } });
    await controller.start();
    const up = waitEvent(controller, (e) => e.type === "switch_connected" && e.dpid === dpid, 90_000, "the bridge to connect");
    link = await slowLink(linkSock, controllerSock);
    connected = await up;
  }, 240_000);

  afterAll(async () => {
    await controller?.stop();
    await new Promise<void>((r) => (link ? link.close(() => r()) : r()));
    await ovs?.stop();
  }, 60_000);

  it("connects, deletes exactly the stale flows and keeps the operator's", async () => {
    expect(connected).toMatchObject({ dpid, reconciliation: { adopted: 0, removed: STALE, reinstalled: 0 } });
    expect(controller.switch(dpid)?.isReady).toBe(true);
    expect(await flowCount("cookie=0xbc0000/0xff0000")).toBe(FOREIGN);
    // What is left with Ferry's cookie is its table-miss flow.
    expect(await flowCount("cookie=0xfe77000000000001/-1")).toBe(1);
    expect(await flowCount()).toBe(FOREIGN + 1);
  });

  it("holds a mirror, from its one read on connect, that a fresh read of the switch leaves unchanged", async () => {
    const dp = controller.switch(dpid)!;
    expect(dp.flows.size).toBe(FOREIGN + 1);
    const changes = await dp.refreshFlows();
    expect(changes.map((c) => `${c.kind} ${c.entry.priority} ${JSON.stringify(c.entry.match)}`)).toEqual([]);
    expect(dp.flows.size).toBe(FOREIGN + 1);
  }, 60_000);
});
