// tRPC set-up in three sections: context, initialisation, procedures.
import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import type { Services } from "../services";
import { readCookie, resolveSession, SESSION_COOKIE, type ResolvedSession } from "../auth/sessions";
import { writeAudit } from "../auth/audit";
import { clientIp } from "../http/client-ip";

// ── 1. Context ────────────────────────────────────────────────────────────────────────────────
export interface Context extends Services {
  session: ResolvedSession | null;
  ip: string;
  userAgent: string | undefined;
  /** Adds a Set-Cookie header to the response (login/logout). */
  setCookie: (cookie: string) => void;
}

export async function createContext(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Context> {
  const session = await resolveSession(services.db, readCookie(req.headers.cookie, SESSION_COOKIE));
  return {
    ...services,
    session,
    ip: clientIp(req),
    userAgent: req.headers["user-agent"],
    setCookie: (cookie) => {
      const prev = res.getHeader("set-cookie");
      const list = Array.isArray(prev) ? prev : prev ? [String(prev)] : [];
      res.setHeader("set-cookie", [...list, cookie]);
    },
  };
}

// ── 2. Initialisation ─────────────────────────────────────────────────────────────────────────
const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    return {
      ...shape,
      // A readable message instead of the serialised issue list.
      message: zod ? zod.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ") : shape.message,
      data: { ...shape.data, zodIssues: zod ? zod.issues.map((i) => ({ path: i.path.map(String), message: i.message })) : null },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

// ── 3. Procedures ─────────────────────────────────────────────────────────────────────────────
const requireSession = t.middleware(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  return next({ ctx: { ...ctx, session: ctx.session } });
});

/** Mutations need the admin role; a refused attempt is audited as "denied". */
const requireAdminForMutations = t.middleware(async ({ ctx, type, path, getRawInput, next }) => {
  if (type === "mutation" && ctx.session?.user.role !== "admin") {
    await writeAudit(ctx.db, {
      user: ctx.session?.user ?? null,
      action: path,
      target: auditTarget(await getRawInput().catch(() => undefined)),
      outcome: "denied",
      detail: { reason: "admin role required" },
      ip: ctx.ip,
    });
    throw new TRPCError({ code: "FORBIDDEN", message: "this action needs the admin role" });
  }
  return next();
});

/** Every mutation leaves an AuditEvent with its outcome. */
const auditMutations = t.middleware(async ({ ctx, type, path, getRawInput, next }) => {
  if (type !== "mutation") return next();
  const input = await getRawInput().catch(() => undefined);
  const result = await next();
  await writeAudit(ctx.db, {
    user: ctx.session?.user ?? null,
    action: path,
    target: auditTarget(input),
    outcome: result.ok ? "ok" : "error",
    detail: result.ok ? redact(input) : { input: redact(input), error: result.error.message },
    ip: ctx.ip,
  });
  return result;
});

/** No session needed (sign-in). Mutations here audit themselves. */
export const publicProcedure = t.procedure;
/** Any signed-in user: queries, and mutations about oneself (sign out). */
export const protectedProcedure = t.procedure.use(requireSession).use(auditMutations);
/** Admin only for mutations; viewers may still run its queries. */
export const adminProcedure = t.procedure.use(requireSession).use(requireAdminForMutations).use(auditMutations);

const SECRET_KEYS = /pass(word)?|secret|token/i;

function redact(input: unknown): unknown {
  if (!input || typeof input !== "object") return input;
  if (Array.isArray(input)) return input.map(redact);
  return Object.fromEntries(
    Object.entries(input as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEYS.test(k) ? "[redacted]" : redact(v)]),
  );
}

function auditTarget(input: unknown): string | null {
  if (!input || typeof input !== "object") return null;
  const o = input as Record<string, unknown>;
  for (const key of ["id", "name", "username", "vm", "host", "dpid"]) {
    if (typeof o[key] === "string" || typeof o[key] === "number") return String(o[key]);
  }
  return null;
}
