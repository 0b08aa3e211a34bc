import "server-only";
import { router } from "./trpc";
import { authRouter } from "./routers/auth";
import { usersRouter } from "./routers/users";
import { auditRouter } from "./routers/audit";
import { systemRouter } from "./routers/system";

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
