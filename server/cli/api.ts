// The CLI's tRPC client: the same /api/trpc and procedures as the dashboard, authenticated by the
// session cookie, and named as a non-browser client (x-ferry-client) for the same-origin guard.
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { inferRouterOutputs } from "@trpc/server";
import superjson from "superjson";
import type { AppRouter } from "../api/root";

export const CLIENT_HEADER = "x-ferry-client";
export const CLIENT_NAME = "ferry-cli";

export type Api = ReturnType<typeof createTRPCClient<AppRouter>>;
export type Outputs = inferRouterOutputs<AppRouter>;

export interface ApiOptions {
  server: string;
  cookie?: string;
  /** Called with each response's Set-Cookie headers (login). */
  onSetCookie?: (cookies: string[]) => void;
}

export function createApi(opts: ApiOptions): Api {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${opts.server}/api/trpc`,
        transformer: superjson,
        headers: () => ({ [CLIENT_HEADER]: CLIENT_NAME, ...(opts.cookie ? { cookie: opts.cookie } : {}) }),
        fetch: async (input, init) => {
          const res = await fetch(input, init);
          const set = res.headers.getSetCookie();
          if (set.length) opts.onSetCookie?.(set);
          return res;
        },
      }),
    ],
  });
}

/** The session cookie ("name=value") from Set-Cookie headers, if one was set. */
export function sessionCookieFrom(setCookies: string[], name = "ferry_session"): string | undefined {
  const c = setCookies.find((s) => s.startsWith(`${name}=`));
  const pair = c?.split(";")[0];
  return pair && pair.length > name.length + 1 ? pair : undefined;
}

/** A failure as one line for the terminal. */
export function describeError(err: unknown, server: string): string {
  if (err instanceof TRPCClientError) {
    const code = (err.data as { code?: string } | undefined)?.code;
    if (code === "UNAUTHORIZED" && err.message === "sign in first") return `not signed in to ${server} (or the session ended): run "ferry login"`;
    if (err.cause && !(err.cause instanceof TRPCClientError) && /fetch failed/i.test(err.message)) return unreachable(err.cause, server);
    return err.message;
  }
  if (err instanceof Error) {
    if (/fetch failed/i.test(err.message)) return unreachable(err.cause, server);
    return err.message;
  }
  return String(err);
}

function unreachable(cause: unknown, server: string): string {
  // fetch wraps the socket error: TypeError("fetch failed") → Error{ code: "ECONNREFUSED" }.
  let inner: unknown = cause;
  while (inner instanceof Error && !(inner as NodeJS.ErrnoException).code && inner.cause) inner = inner.cause;
  const why = inner instanceof Error ? ((inner as NodeJS.ErrnoException).code ?? inner.message) : "no answer";
  return `cannot reach Ferry at ${server} (${why}); start it or pass --server / FERRY_URL`;
}
