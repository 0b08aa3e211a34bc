import "server-only";
import { z } from "zod";
import { protectedProcedure, router } from "../trpc";

export const auditRouter = router({
  /** Newest first, paged by cursor (the last id of the previous page). */
  list: protectedProcedure
    .input(
      z.object({
        limit: z.number().int().min(1).max(200).default(50),
        cursor: z.string().nullish(),
        outcome: z.enum(["ok", "denied", "error"]).optional(),
        search: z.string().max(100).optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const where = {
        ...(input.outcome ? { outcome: input.outcome } : {}),
        ...(input.search
          ? { OR: [{ username: { contains: input.search } }, { action: { contains: input.search } }, { target: { contains: input.search } }] }
          : {}),
      };
      const rows = await ctx.db.auditEvent.findMany({
        where,
        orderBy: [{ at: "desc" }, { id: "desc" }],
        take: input.limit + 1,
        ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
      });
      const more = rows.length > input.limit;
      const items = more ? rows.slice(0, input.limit) : rows;
      return { items, nextCursor: more ? items[items.length - 1]!.id : null };
    }),
});
