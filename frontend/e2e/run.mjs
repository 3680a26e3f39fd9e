// `npm run e2e`: the browser tests need Debian's Chromium (never a downloaded browser) and the
// built export. Without Chromium they are SKIPPED, loudly; under CI (CI=true) that fails.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const chromium = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ci = ["1", "true", "yes"].includes((process.env.CI ?? "").toLowerCase());

if (!existsSync(chromium)) {
  const why = `no Chromium at ${chromium} (install it: sudo apt-get install chromium, or set CHROMIUM_PATH)`;
  if (ci) {
    console.error(`ERROR: browser tests cannot run under CI: ${why}`);
    process.exit(1);
  }
  console.log("");
  console.log("=".repeat(78));
  console.log(`  SKIPPED: the dashboard's browser tests (Playwright): ${why}`);
  console.log("=".repeat(78));
  console.log("");
  process.exit(0);
}
if (!existsSync(path.join(root, "out", "index.html"))) {
  console.error("ERROR: the dashboard is not built (frontend/out): run `make frontend-build` first");
  process.exit(1);
}
const cli = path.join(root, "node_modules", "@playwright", "test", "cli.js");
const result = spawnSync(process.execPath, [cli, "test", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, CHROMIUM_PATH: chromium },
});
process.exit(result.status ?? 1);
