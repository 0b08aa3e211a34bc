// The server's embedded controller seen through tRPC and Socket.IO: a (scripted) switch connects,
// the Switches API lists it with its flows, and the event stream delivers exact batched counts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connectSocket, type Socket } from "socket.io-client";
import { login, startTestFerry, trpcCall, type TestFerry } from "../testing/ferry-instance";
import { port, ScriptedSwitch } from "../../controller/testing/scripted-switch";
import { ethFrame } from "../../controller/testing/frames";

let ferry: TestFerry;
let sw: ScriptedSwitch;
let cookie: string;
const DPID = "00000000000000f1";

beforeAll(async () => {
  ferry = await startTestFerry();
  cookie = await login(ferry.url, "admin", ferry.adminPassword);
  const tcp = ferry.services.controller!.targets().find((t) => t.startsWith("tcp:"))!;
  sw = await ScriptedSwitch.connect({ port: Number(tcp.split(":")[2]) }, { dpid: DPID, version: 4, bitmapVersions: [1, 4], ports: [port(1, "vm-a"), port(2, "vm-b")] });
  for (let i = 0; i < 50 && !ferry.services.controller!.switch(DPID)?.isReady; i++) await new Promise((r) => setTimeout(r, 50));
});
afterAll(async () => {
  sw?.close();
  await ferry?.close();
});

describe("switches through the API", () => {
  it("lists the connected switch with its version and ports, and needs a session", async () => {
    expect((await trpcCall(ferry.url, "switches.list", "query")).status).toBe(401);
    const res = await trpcCall(ferry.url, "switches.list", "query", undefined, cookie);
    expect(res.status).toBe(200);
    const data = res.body.result.data.json;
    expect(data.controllerRunning).toBe(true);
    expect(data.listeners.some((l: string) => l.startsWith("unix:"))).toBe(true);
    expect(data.switches).toEqual([expect.objectContaining({ dpid: DPID, version: "1.3", ports: 2 })]);
  });

  it("shows a learned flow in ovs-ofctl form and the switch's FDB", async () => {
    const A = "52:54:00:00:00:0a";
    const B = "52:54:00:00:00:0b";
    const pin = (inPort: number, frame: Buffer) => sw.send({ type: "packet_in", xid: 0, buffer_id: 0xffffffff, total_len: frame.length, reason: 0, table_id: 0, cookie: 0n, match: { in_port: inPort }, data: frame });
    pin(2, ethFrame("ff:ff:ff:ff:ff:ff", B, 0x0806));
    pin(1, ethFrame(B, A, 0x0800));
    await sw.waitFor((m) => m.type === "flow_mod" && m.command === "add" && m.priority === 100);
    const res = await trpcCall(ferry.url, "switches.get", "query", { dpid: DPID, refresh: false }, cookie);
    expect(res.status).toBe(200);
    const data = res.body.result.data.json;
    expect(data.flows).toContainEqual(expect.objectContaining({ priority: 100, match: `priority=100,in_port=1,dl_src=${A},dl_dst=${B}`, actions: "output:2", idleTimeout: 60 }));
    expect(data.fdb.map((e: { mac: string; port: number }) => [e.mac, e.port]).sort()).toEqual([[A, 1], [B, 2]]);
    // The ovs-ofctl lines only when asked for (the CLI), not with every table load.
    expect(data.dumpFlows).toEqual([]);
    const lines = (await trpcCall(ferry.url, "switches.get", "query", { dpid: DPID, dumpLines: true }, cookie)).body.result.data.json.dumpFlows as string[];
    expect(lines).toHaveLength(data.flows.length);
    expect(lines.some((l) => l.includes(`priority=100,in_port=1,dl_src=${A},dl_dst=${B} actions=output:2`))).toBe(true);
    expect((await trpcCall(ferry.url, "switches.get", "query", { dpid: "nothex" }, cookie)).status).toBe(400);
    expect((await trpcCall(ferry.url, "switches.get", "query", { dpid: "00000000000000ff" }, cookie)).status).toBe(404);
  });

  it("streams packet-ins in batches with exact counts to subscribers of the events room", async () => {
    const socket: Socket = connectSocket(ferry.url, { path: "/socket.io", transports: ["websocket"], reconnection: false, extraHeaders: { cookie } });
    try {
      await new Promise<void>((resolve, reject) => socket.once("hello", () => resolve()).once("connect_error", reject));
      const ack = await new Promise<{ ok: boolean }>((resolve) => socket.emit("subscribe", "events", resolve));
      expect(ack.ok).toBe(true);
      // Let a batch window pass so events from earlier tests are flushed before counting.
      await new Promise((r) => setTimeout(r, 300));
      let counted = 0;
      const seen = new Promise<void>((resolve) =>
        socket.on("eventBatch", (b) => {
          counted += b.counts.packet_in ?? 0;
          if (counted >= 300) resolve();
        }),
      );
      // 300 broadcasts from a fresh MAC each: more than one batch can sample, all must be counted.
      for (let i = 0; i < 300; i++) {
        const mac = `52:54:00:01:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`;
        sw.send({ type: "packet_in", xid: 0, buffer_id: 0xffffffff, total_len: 60, reason: 0, table_id: 0, cookie: 0n, match: { in_port: 1 }, data: ethFrame("ff:ff:ff:ff:ff:ff", mac, 0x0806) });
      }
      await seen;
      expect(counted).toBe(300);
    } finally {
      socket.close();
    }
  });
});
