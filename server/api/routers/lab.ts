import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { adminProcedure, protectedProcedure, router, type Context } from "../trpc";

/** The lab's own subsystem entry; absent when another part owns it (the cluster's active role). */
function requireLabSubsystem(ctx: Context): NonNullable<Context["lab"]> {
  if (!ctx.lab) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "the lab is not enabled on this server (FERRY_LAB=1)" });
  if (!ctx.subsystems.list().some((s) => s.name === "lab")) {
    throw new TRPCError({ code: "PRECONDITION_FAILED", message: "this server does not run the lab as a subsystem of its own (clustered); restart the server instead" });
  }
  return ctx.lab;
}

export const labRouter = router({
  /** The embedded lab's hosts, tunnels, clients and WAN setting; `enabled: false` when not configured. */
  status: protectedProcedure.query(async ({ ctx }) => {
    if (!ctx.lab) return { enabled: false as const };
    return { enabled: true as const, ...(await ctx.lab.status()) };
  }),

  /** Brings the lab up again after `down` (the server must run with FERRY_LAB=1). Takes up to a minute. */
  up: adminProcedure.mutation(async ({ ctx }) => {
    const lab = requireLabSubsystem(ctx);
    const subsystem = await ctx.subsystems.startOne("lab");
    return { subsystem, ...(await lab.status()) };
  }),

  /** Takes the lab down (VMs, hosts, namespaces); the server keeps running. */
  down: adminProcedure.mutation(async ({ ctx }) => {
    const lab = requireLabSubsystem(ctx);
    const subsystem = await ctx.subsystems.stopOne("lab");
    return { subsystem, ...(await lab.status()) };
  }),

  /** Limits the inter-site link (tc tbf on the router), or lifts the limit with null. */
  setWanRate: adminProcedure.input(z.object({ mbit: z.number().positive().max(100_000).nullable() })).mutation(async ({ ctx, input }) => {
    if (!ctx.lab) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "the lab is not enabled on this server (FERRY_LAB=1)" });
    await ctx.lab.setWanRate(input.mbit);
    return { wanRateMbit: input.mbit };
  }),
});
