import { defineConfig } from "@playwright/test";

// Real Chromium from Debian (Playwright's own browser download is not reachable here) against the
// real built server, which e2e/global-setup.ts starts on a fresh database and stops afterwards.
export default defineConfig({
  testDir: "e2e",
  testMatch: /.*\.e2e\.ts$/,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 120_000,
  // Pages read live state from the lab (libvirt, OVSDB); on a busy 2-core machine that can take seconds.
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [["list"]] : [["list"]],
  globalSetup: "./e2e/global-setup.ts",
  use: {
    browserName: "chromium",
    headless: true,
    launchOptions: {
      executablePath: process.env.FERRY_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
});
