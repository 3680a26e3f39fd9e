// Messages (the alert ledger with filters) and Audit (latest report, blocked-symbol trend).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { apiGet, baseUrl, expect, screenshot, test } from "./support";

const ATP = process.env.ATP_BIN ?? path.resolve(__dirname, "..", "..", ".venv", "bin", "atp");

/** apiGet, tried again once after a network error: Node's fetch may reuse a keep-alive
 *  connection the server closes at that very moment (its idle timeout is a few seconds). */
async function read<T>(route: string): Promise<T> {
  try {
    return await apiGet<T>(route);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return apiGet<T>(route);
  }
}

/** Store one audit run with the operator's command, on the backend's own database (its URL
 *  comes from /api/config: SQLite in a temp dir, nothing secret to mask). */
async function storeAuditRun(): Promise<void> {
  const config = await read<{ settings: Record<string, unknown> }>("/api/config");
  const url = String(config.settings.EFFECTIVE_DATABASE_URL);
  expect(url).toMatch(/^sqlite:/);
  const dir = mkdtempSync(path.join(tmpdir(), "atp-e2e-audit-"));
  try {
    const env: NodeJS.ProcessEnv = { NODE_ENV: "test", PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", ATP_DATA_DIR: dir, DATABASE_URL: url, MARKET_SOURCE: "replay" };
    const result = spawnSync(ATP, ["audit", "--since-hours", "1", "--output", path.join(dir, "report.md")], { env, cwd: dir, encoding: "utf-8" });
    expect(result.status, result.stderr).not.toBe(2); // 0 PASS/WARN, 1 FAIL: both are stored runs
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Messages = { items: { status: string }[] };

test("messages list the ledger and filter it by status and reason", async ({ page }) => {
  await expect
    .poll(async () => (await apiGet<Messages>("/api/telegram/messages")).items.length, { timeout: 90_000 })
    .toBeGreaterThan(0);
  const statuses = new Set((await apiGet<Messages>("/api/telegram/messages?limit=500")).items.map((m) => m.status));
  const status = statuses.has("SENT") ? "SENT" : [...statuses][0]!;

  await page.goto(`${baseUrl()}/messages/`);
  const table = page.getByTestId("message-table");
  await expect(table.locator("tbody tr").first()).toBeVisible();
  await screenshot(page, "messages");

  await page.getByLabel("Status").selectOption(status);
  await expect(table.locator("tbody tr").first()).toBeVisible();
  const shown = await table.locator("tbody tr td:nth-child(5) .pill").allTextContents();
  expect(shown.length).toBeGreaterThan(0);
  expect(new Set(shown)).toEqual(new Set([status.toLowerCase()]));

  await page.getByLabel("Reason starts with").fill("NO_SUCH_REASON");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("No message matches these filters")).toBeVisible();
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(table.locator("tbody tr").first()).toBeVisible();
});

test("the audit page shows the latest report and the blocked-symbol trend", async ({ page }) => {
  await page.goto(`${baseUrl()}/audit/`);
  const runs = await read<{ items: unknown[] }>("/api/audit/runs");
  if (runs.items.length === 0) await expect(page.getByText("No audit run stored yet")).toBeVisible();
  await storeAuditRun();
  await storeAuditRun();
  const stored = await read<{ items: { id: number; symbols_checked: number; blocked_symbols: number }[] }>("/api/audit/runs");
  expect(stored.items.length).toBe(runs.items.length + 2);
  expect(stored.items[0]!.symbols_checked).toBeGreaterThan(0);

  await page.reload();
  await expect(page.getByTestId("blocked-trend")).toHaveAttribute("data-points", String(stored.items.length));
  await expect(page.getByTestId("blocked-trend").locator("rect")).toHaveCount(stored.items.length);
  const latest = page.getByTestId("latest-report");
  await expect(latest).toContainText(`run #${stored.items[0]!.id}`);
  await expect(latest).toContainText(`${stored.items[0]!.blocked_symbols} of ${stored.items[0]!.symbols_checked} symbols blocked`);
  await screenshot(page, "audit");
});
