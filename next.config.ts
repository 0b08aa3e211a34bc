import type { NextConfig } from "next";
import path from "node:path";

const config: NextConfig = {
  poweredByHeader: false,
  // A second build directory lets two checkouts' worth of work build side by side (read at build and at start).
  distDir: process.env.FERRY_NEXT_DIST_DIR || ".next",
  reactStrictMode: true,
  // The custom server (server/main.ts) owns /api/trpc and /socket.io; Next only renders pages.
  turbopack: { root: path.resolve(import.meta.dirname) },
  // The build checks what the dashboard and server are made of; benchmarks and tests are
  // checked by `npm run typecheck` (the whole tree).
  typescript: { tsconfigPath: "tsconfig.next.json" },
};

export default config;
