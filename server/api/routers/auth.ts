import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { protectedProcedure, publicProcedure, router } from "../trpc";
import { verifyPassword } from "../../auth/password";
import { clearedSessionCookie, createSession, deleteSession, sessionCookie } from "../../auth/sessions";
import { writeAudit } from "../../auth/audit";
import { disconnectSession } from "../../realtime/io";

export const loginInput = z.object({
  username: z.string().trim().min(1, "enter a username").max(64),
  password: z.string().min(1, "enter a password").max(256),
});

export const authRouter = router({
  login: publicProcedure.input(loginInput).mutation(async ({ ctx, input }) => {
    const { db, loginLimiter, ip } = ctx;
    const wait = loginLimiter.retryAfterMs(input.username, ip);
    if (wait > 0) {
      await writeAudit(db, { user: null, username: input.username, action: "auth.login", outcome: "denied", detail: { reason: "rate-limited" }, ip });
      throw new TRPCError({
        code: "TOO_MANY_REQUESTS",
        message: `too many failed sign-ins; try again in ${Math.ceil(wait / 1000)} s`,
      });
    }
    const user = await db.user.findUnique({ where: { username: input.username } });
    // Hash even for an unknown user so response time does not reveal which usernames exist.
    const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      loginLimiter.recordFailure(input.username, ip);
      await writeAudit(db, { user: null, username: input.username, action: "auth.login", outcome: "denied", detail: { reason: "wrong username or password" }, ip });
      throw new TRPCError({ code: "UNAUTHORIZED", message: "wrong username or password" });
    }
    loginLimiter.recordSuccess(input.username);
    // Always a fresh token: a session this browser held before is ended, never carried over.
    if (ctx.session) {
      await deleteSession(db, ctx.session.sessionId);
      if (ctx.io) await disconnectSession(ctx.io, ctx.session.sessionId);
    }
    const ttl = ctx.env.FERRY_SESSION_HOURS * 3600_000;
    const { token, expiresAt } = await createSession(db, user.id, ttl, { ip, userAgent: ctx.userAgent });
    ctx.setCookie(sessionCookie(token, expiresAt, ctx.env.FERRY_COOKIE_SECURE));
    await writeAudit(db, { user, action: "auth.login", outcome: "ok", ip });
    return { username: user.username, role: user.role, expiresAt };
  }),

  logout: protectedProcedure.mutation(async ({ ctx }) => {
    await deleteSession(ctx.db, ctx.session.sessionId);
    if (ctx.io) await disconnectSession(ctx.io, ctx.session.sessionId);
    ctx.setCookie(clearedSessionCookie(ctx.env.FERRY_COOKIE_SECURE));
    return { ok: true };
  }),

  me: protectedProcedure.query(({ ctx }) => ({ ...ctx.session.user, expiresAt: ctx.session.expiresAt })),
});

// scrypt hash of a random string nobody knows; only used to spend the same time on unknown users.
const DUMMY_HASH =
  "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + Buffer.alloc(64, 1).toString("base64");
