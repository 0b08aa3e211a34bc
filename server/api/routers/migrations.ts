import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { adminProcedure, protectedProcedure, router, type Context } from "../trpc";
import { MigrationConflictError, PrecheckFailedError } from "../../migration/orchestrator";

function orchestrator(ctx: Context) {
  if (!ctx.migrations) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "migrations are not available on this server" });
  return ctx.migrations;
}

const options = z
  .object({
    maxBandwidthMiBps: z.number().positive().max(100_000).optional(),
    downtimeLimitMs: z.number().int().min(1).max(60_000).optional(),
    autoConverge: z.boolean().optional(),
  })
  .default({});

export const migrationsRouter = router({
  /** The pre-migration checks for a VM and a destination, shown before the user confirms. */
  precheck: protectedProcedure.input(z.object({ vm: z.string().min(1), destHost: z.string().min(1) })).query(({ ctx, input }) => orchestrator(ctx).precheck(input.vm, input.destHost)),

  start: adminProcedure.input(z.object({ vm: z.string().min(1), destHost: z.string().min(1), options })).mutation(async ({ ctx, input }) => {
    try {
      return await orchestrator(ctx).start({ vmName: input.vm, destHost: input.destHost, options: input.options, user: ctx.session.user });
    } catch (err) {
      if (err instanceof MigrationConflictError) throw new TRPCError({ code: "CONFLICT", message: err.message });
      if (err instanceof PrecheckFailedError) throw new TRPCError({ code: "PRECONDITION_FAILED", message: err.message });
      throw err;
    }
  }),

  cancel: adminProcedure.input(z.object({ id: z.string().uuid() })).mutation(async ({ ctx, input }) => {
    await orchestrator(ctx).cancel(input.id).catch((e: Error) => {
      throw new TRPCError({ code: "CONFLICT", message: e.message });
    });
    return { ok: true };
  }),

  forceComplete: adminProcedure.input(z.object({ id: z.string().uuid() })).mutation(async ({ ctx, input }) => {
    await orchestrator(ctx).forceComplete(input.id).catch((e: Error) => {
      throw new TRPCError({ code: "CONFLICT", message: e.message });
    });
    return { ok: true };
  }),

  list: protectedProcedure.input(z.object({ limit: z.number().int().min(1).max(500).default(100) }).default({ limit: 100 })).query(({ ctx, input }) =>
    ctx.db.migration.findMany({ orderBy: { startedAt: "desc" }, take: input.limit }),
  ),

  get: protectedProcedure.input(z.object({ id: z.string().uuid() })).query(async ({ ctx, input }) => {
    const m = await ctx.db.migration.findUnique({
      where: { id: input.id },
      include: { phases: true, samples: { orderBy: { at: "asc" } } },
    });
    if (!m) throw new TRPCError({ code: "NOT_FOUND", message: `no migration ${input.id}` });
    return m;
  }),
});
