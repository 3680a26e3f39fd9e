// Orders and Portfolio against the demo backend: each demo BUY becomes a paper entry protected
// by an OCO a few seconds later; its stop-loss or take-profit may close it again within minutes,
// so the specs accept an open position or its closing fill, whichever the demo is at.
import { apiGet, baseUrl, expect, screenshot, test } from "./support";

type Fill = { symbol: string; role: string | null };

/** The first fill the demo made (an entry of a paper position). */
async function firstFill(): Promise<Fill> {
  let found: Fill | undefined;
  await expect
    .poll(
      async () => {
        found = (await apiGet<{ items: Fill[] }>("/api/orders/fills?limit=500")).items.at(-1);
        return found !== undefined;
      },
      { timeout: 120_000, message: "the demo made no paper trade" },
    )
    .toBe(true);
  return found as Fill;
}

test.describe.configure({ timeout: 180_000 }); // the demo's first trade can take a minute

test("the portfolio shows positions at their mark with P&L and protection, and the balances", async ({ page }) => {
  await firstFill();
  await page.goto(`${baseUrl()}/portfolio/`);
  const table = page.getByTestId("positions-table");
  await expect(table.or(page.getByText("No open position"))).toBeVisible();
  if (await table.isVisible()) {
    await expect(table.getByTestId("protection-badge").first()).toHaveText(/covered|naked|flattening/);
    await expect(table.locator("tbody .pnl").first()).toHaveText(/^([+-]\d|0\.00|–)/);
    await expect(table.locator("tfoot")).toContainText("Total (USD)");
  }
  const balances = page.getByTestId("portfolio-balances");
  await expect(balances).toContainText("paper");
  await expect(balances.getByTestId("balances-table")).toContainText("USDT");
  await screenshot(page, "portfolio");
});

test("orders show protection per position, open entries, fills with P&L and the history", async ({ page }) => {
  const fill = await firstFill();
  await page.goto(`${baseUrl()}/orders/`);
  const fills = page.getByTestId("fill-history");
  await expect(fills).toContainText(fill.symbol);
  await expect(fills).toContainText("entry");
  await expect(fills.locator(".pnl").first()).toBeVisible();
  await expect(page.getByTestId("order-history")).toContainText("ENTRY");
  const protection = page.getByTestId("protection-table");
  await expect(protection.or(page.getByText("No open position"))).toBeVisible();
  if (await protection.isVisible()) await expect(protection.getByTestId("protection-badge").first()).toBeVisible();
  await expect(page.getByTestId("open-entries").or(page.getByText("No entry in flight"))).toBeVisible();
  await screenshot(page, "orders");
});
