import "server-only";
import { router } from "./trpc";
import { authRouter } from "./routers/auth";
import { usersRouter } from "./routers/users";
import { auditRouter } from "./routers/audit";
import { systemRouter } from "./routers/system";
import { switchesRouter } from "./routers/switches";
import { labRouter } from "./routers/lab";
import { inventoryRouter } from "./routers/inventory";
import { migrationsRouter } from "./routers/migrations";
import { imagesRouter, instancesRouter } from "./routers/instances";

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  system: systemRouter,
  switches: switchesRouter,
  lab: labRouter,
  inventory: inventoryRouter,
  migrations: migrationsRouter,
  images: imagesRouter,
  instances: instancesRouter,
});

export type AppRouter = typeof appRouter;
