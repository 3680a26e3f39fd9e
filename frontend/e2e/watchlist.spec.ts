import { apiGet, apiSend, baseUrl, expect, screenshot, test } from "./support";

type Item = { symbol: string; alert_enabled: boolean; trade_amount_usd: string | null };

test("toggling a symbol's alert switch changes the database and survives a reload", async ({ page }) => {
  const before = await apiGet<Item>("/api/watchlist/BTC_USDT");
  await page.goto(`${baseUrl()}/watchlist/`);
  const toggle = page.getByRole("switch", { name: "alerts BTC_USDT", exact: true });
  await expect(toggle).toHaveAttribute("aria-checked", String(before.alert_enabled));
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-checked", String(!before.alert_enabled));
  expect((await apiGet<Item>("/api/watchlist/BTC_USDT")).alert_enabled).toBe(!before.alert_enabled);
  await page.reload();
  await expect(page.getByRole("switch", { name: "alerts BTC_USDT", exact: true })).toHaveAttribute("aria-checked", String(!before.alert_enabled));
  // and back, through the page again
  await page.getByRole("switch", { name: "alerts BTC_USDT", exact: true }).click();
  await expect(page.getByRole("switch", { name: "alerts BTC_USDT", exact: true })).toHaveAttribute("aria-checked", String(before.alert_enabled));
  expect((await apiGet<Item>("/api/watchlist/BTC_USDT")).alert_enabled).toBe(before.alert_enabled);
});

test("an invalid amount shows the error and changes nothing", async ({ page }) => {
  const before = await apiGet<Item>("/api/watchlist/ETH_USDT");
  await page.goto(`${baseUrl()}/watchlist/`);
  const row = page.locator('tr[data-symbol="ETH_USDT"]');
  await row.getByRole("button", { name: "edit amount USD ETH_USDT" }).click();
  const input = row.getByRole("textbox", { name: "amount USD ETH_USDT" });
  await input.fill("0");
  await input.press("Enter");
  await expect(row.getByRole("alert")).toContainText("Not saved: trade_amount_usd");
  await expect(input).toHaveAttribute("aria-invalid", "true");
  await input.fill("fifty");
  await input.press("Enter");
  await expect(row.getByRole("alert")).toContainText("enter a number");
  await screenshot(page, "watchlist-invalid-amount");
  expect((await apiGet<Item>("/api/watchlist/ETH_USDT")).trade_amount_usd).toBe(before.trade_amount_usd);
  await input.press("Escape");
  await expect(row.getByRole("button", { name: "edit amount USD ETH_USDT" })).toHaveText(before.trade_amount_usd ?? "set");
});

test("a valid amount is saved and shown as the server stored it", async ({ page }) => {
  await page.goto(`${baseUrl()}/watchlist/`);
  const row = page.locator('tr[data-symbol="SOL_USDT"]');
  await row.getByRole("button", { name: "edit amount USD SOL_USDT" }).click();
  await row.getByRole("textbox", { name: "amount USD SOL_USDT" }).fill("30.50");
  await row.getByRole("textbox", { name: "amount USD SOL_USDT" }).press("Enter");
  await expect(row.getByRole("button", { name: "edit amount USD SOL_USDT" })).toHaveText("30.5");
  expect((await apiGet<Item>("/api/watchlist/SOL_USDT")).trade_amount_usd).toBe("30.5");
  await apiSend("PATCH", "/api/watchlist/SOL_USDT", { trade_amount_usd: "25" });
});

test("the signal badge lists every condition with actual vs threshold", async ({ page }) => {
  await page.goto(`${baseUrl()}/watchlist/`);
  // The blocker banner arrives with its own read and pushes the page down: hover after it.
  await expect(page.getByTestId("blocker-banner")).toBeVisible();
  const badge = page.locator('tr[data-symbol="BTC_USDT"]').getByLabel(/^signal (BUY|SELL|NONE)/);
  await badge.hover();
  const tooltip = page.getByRole("tooltip");
  await expect(tooltip.getByRole("columnheader", { name: "Threshold" })).toBeVisible();
  await expect(tooltip).toContainText("rsi");
  await screenshot(page, "watchlist");
});

test("sorting, filtering, adding and removing a symbol", async ({ page }) => {
  await page.goto(`${baseUrl()}/watchlist/`);
  await page.getByRole("button", { name: /^Symbol/ }).click(); // now descending
  await expect(page.locator("tbody tr").first()).toHaveAttribute("data-symbol", "XRP_USDT");
  await page.getByLabel("filter symbols").fill("doge");
  await expect(page.locator("tbody tr")).toHaveCount(1);
  await page.getByLabel("filter symbols").fill("");

  await page.getByLabel("Add symbol").fill("link_usdt");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.locator('tr[data-symbol="LINK_USDT"]')).toBeVisible();
  expect((await apiGet<Item>("/api/watchlist/LINK_USDT")).symbol).toBe("LINK_USDT");

  await page.getByRole("button", { name: "remove LINK_USDT" }).click();
  await page.getByRole("button", { name: "Remove LINK_USDT" }).click();
  await expect(page.locator('tr[data-symbol="LINK_USDT"]')).toHaveCount(0);
  const gone = await fetch(`${baseUrl()}/api/watchlist/LINK_USDT`);
  expect(gone.status).toBe(404);
});
