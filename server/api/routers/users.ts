import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { adminProcedure, router } from "../trpc";
import { hashPassword } from "../../auth/password";

const role = z.enum(["admin", "viewer"]);

export const usersRouter = router({
  list: adminProcedure.query(({ ctx }) =>
    ctx.db.user.findMany({
      orderBy: { username: "asc" },
      select: { id: true, username: true, role: true, createdAt: true },
    }),
  ),

  create: adminProcedure
    .input(
      z.object({
        username: z.string().trim().regex(/^[a-z0-9._-]{2,64}$/i, "2–64 letters, digits, dot, dash or underscore"),
        password: z.string().min(8, "at least 8 characters").max(256),
        role,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (await ctx.db.user.findUnique({ where: { username: input.username } })) {
        throw new TRPCError({ code: "CONFLICT", message: `user "${input.username}" already exists` });
      }
      const user = await ctx.db.user.create({
        data: { username: input.username, role: input.role, passwordHash: await hashPassword(input.password) },
      });
      return { id: user.id, username: user.username, role: user.role };
    }),

  delete: adminProcedure.input(z.object({ username: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    if (input.username === ctx.session.user.username) {
      throw new TRPCError({ code: "BAD_REQUEST", message: "you cannot delete your own account" });
    }
    const res = await ctx.db.user.deleteMany({ where: { username: input.username } });
    if (res.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: `no user "${input.username}"` });
    return { ok: true };
  }),
});
