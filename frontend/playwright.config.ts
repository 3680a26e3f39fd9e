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
  timeout: 60_000,
  expect: { timeout: 10_000 },
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
