import { defineConfig } from "vitest/config";
import path from "node:path";

// Unit tests (*.test.ts) and integration tests (*.int.test.ts) share one runner.
// Integration tests start real services (OVS, QEMU, libvirtd, SQLite) and must not run in parallel
// with each other on a 2-core CI machine, so files run one at a time.
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["controller/**/*.test.ts", "server/**/*.test.ts", "bench/**/*.test.ts"],
    exclude: ["node_modules", ".next", "e2e"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // "server-only" throws outside a React Server bundle; tests import server modules directly.
    alias: { "server-only": path.resolve(import.meta.dirname, "server/testing/server-only-noop.ts") },
  },
});
