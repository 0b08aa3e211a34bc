import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { protectedProcedure, router } from "../trpc";
import { toWire } from "../../realtime/wire";
import type { Context } from "../trpc";

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

  /** One switch: ports, flows in ovs-ofctl form (optionally re-read from the switch first), FDB, traffic. */
  get: protectedProcedure.input(z.object({ dpid, refresh: z.boolean().default(false) })).query(async ({ ctx, input }) => {
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
      fdb: c.learning.fdb(dp.dpid).entries(now),
    };
  }),

  /** Packets and bytes per source MAC (the traffic monitor). */
  traffic: protectedProcedure.query(({ ctx }) =>
    (ctx.controller?.monitor.counters() ?? []).map((c) => ({ mac: c.mac, packets: c.packets.toString(), bytes: c.bytes.toString(), liveFlows: c.liveFlows })),
  ),
});
