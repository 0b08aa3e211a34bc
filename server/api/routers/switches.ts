import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { protectedProcedure, router } from "../trpc";
import { toWire } from "../../realtime/wire";
import { OFPP_ANY } from "../../../controller/openflow";
import type { Context } from "../trpc";
import { dumpFlowsLine } from "../../network/flow-lines";

const dpid = z.string().regex(/^[0-9a-f]{16}$/, "a datapath id is 16 lowercase hex digits");

function requireController(ctx: Context) {
  if (!ctx.controller) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "the OpenFlow controller is not running on this server" });
  return ctx.controller;
}

export const switchesRouter = router({
  /** Switches connected to the embedded controller. */
  list: protectedProcedure.query(({ ctx }) => {
    const c = ctx.controller;
    return {
      controllerRunning: c !== null,
      listeners: c?.targets() ?? [],
      switches: c
        ? [...c.switches.values()].map((dp) => ({
            dpid: dp.dpid,
            version: dp.version === 1 ? "1.0" : "1.3",
            remote: dp.remote,
            connectedAt: new Date(dp.connectedAt),
            ports: dp.ports.size,
            flows: dp.flows.size,
          }))
        : [],
    };
  }),

  /**
   * One switch: ports, flows (optionally re-read from the switch first), FDB. `dumpLines` adds
   * the flows as `ovs-ofctl dump-flows` prints them (the CLI's form); the table does not need them,
   * and 10,000 flows twice over was 4 MB.
   */
  get: protectedProcedure.input(z.object({ dpid, refresh: z.boolean().default(false), dumpLines: z.boolean().default(false) })).query(async ({ ctx, input }) => {
    const c = requireController(ctx);
    const dp = c.switch(input.dpid);
    if (!dp) throw new TRPCError({ code: "NOT_FOUND", message: `switch ${input.dpid} is not connected` });
    if (input.refresh) await dp.refreshFlows();
    const now = Date.now();
    return {
      dpid: dp.dpid,
      version: dp.version === 1 ? "1.0" : "1.3",
      remote: dp.remote,
      connectedAt: new Date(dp.connectedAt),
      ports: [...dp.ports.values()].map((p) => ({ portNo: p.port_no, name: p.name, mac: p.hw_addr, config: p.config, state: p.state })).sort((a, b) => a.portNo - b.portNo),
      flows: dp.flows.entries().map((f) => toWire.flow(f, dp.version, now)),
      dumpFlows: input.dumpLines ? dp.flows.entries().map((f) => dumpFlowsLine(f, dp.version, now)) : [],
      fdb: c.learning.fdb(dp.dpid).entries(now),
    };
  }),

  /** Per-port counters, read from the switch now (OpenFlow port stats). */
  portStats: protectedProcedure.input(z.object({ dpid })).query(async ({ ctx, input }) => {
    const dp = requireController(ctx).switch(input.dpid);
    if (!dp) throw new TRPCError({ code: "NOT_FOUND", message: `switch ${input.dpid} is not connected` });
    const body = await dp.multipart({ kind: "port_stats", port_no: OFPP_ANY });
    if (body.kind !== "port_stats") throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `expected port stats, got ${body.kind}` });
    return {
      at: new Date(),
      ports: body.ports
        .map((p) => ({
          portNo: p.port_no,
          rxPackets: p.rx_packets.toString(),
          txPackets: p.tx_packets.toString(),
          rxBytes: p.rx_bytes.toString(),
          txBytes: p.tx_bytes.toString(),
          rxDropped: p.rx_dropped.toString(),
          txDropped: p.tx_dropped.toString(),
          rxErrors: p.rx_errors.toString(),
          txErrors: p.tx_errors.toString(),
        }))
        .sort((a, b) => a.portNo - b.portNo),
    };
  }),

  /** Packets and bytes per source MAC (the traffic monitor). */
  traffic: protectedProcedure.query(({ ctx }) =>
    (ctx.controller?.monitor.counters() ?? []).map((c) => ({ mac: c.mac, packets: c.packets.toString(), bytes: c.bytes.toString(), liveFlows: c.liveFlows })),
  ),
});
