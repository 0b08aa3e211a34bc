import "server-only";
import { protectedProcedure, router } from "../trpc";

export const systemRouter = router({
  /** What this server runs: version, database kind, and each embedded subsystem's state. */
  status: protectedProcedure.query(({ ctx }) => ({
    version: process.env.npm_package_version ?? "0.1.0",
    database: ctx.env.DATABASE_URL.startsWith("file:") ? "sqlite" : "postgresql",
    subsystems: ctx.subsystems.list(),
  })),
});
