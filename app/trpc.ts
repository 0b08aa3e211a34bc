"use client";
// The browser's typed tRPC client (types only come from the server).
import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** Sent with every tRPC call; with the browser's Origin it passes the server's same-origin guard. */
export const CLIENT_HEADERS = { "x-ferry-client": "ferry-web" } as const;
