// Browser tests against a real backend (e2e/backend.ts) with Debian's Chromium: run them with
// `npm run e2e` (e2e/run.mjs checks for Chromium and the built export first).
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results/playwright",
  globalSetup: "./e2e/global-setup.ts",
  fullyParallel: false,
  workers: 1, // one shared backend; the machine has few cores
  retries: 0,
  // Known backend issue: on SQLite (the demo backend) a write can stall for up to ~60 s while
  // the paper order flow places an entry's protection ("database is locked" in the log). A
  // change must still show up on screen, so expectations wait past that stall.
  timeout: 150_000,
  expect: { timeout: 75_000 },
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    headless: true,
    viewport: { width: 1440, height: 900 },
    launchOptions: { executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium" },
    trace: "off",
    screenshot: "only-on-failure",
  },
});
