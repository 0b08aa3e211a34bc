// The server process is a server by definition: resolve the "server-only" marker the way a
// React Server bundle does (its "react-server" export, an empty module) instead of its
// client-side guard, which throws. Client bundles built by Next keep the guard.
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === "server-only") return next(specifier, { ...context, conditions: [...context.conditions, "react-server"] });
  return next(specifier, context);
}`),
  import.meta.url,
);
