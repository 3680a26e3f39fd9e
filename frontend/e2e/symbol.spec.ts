// Symbol detail against the demo backend: candles with indicators, markers of past alerts and
// orders, the decision with every condition and gate, the throttle.
import { apiGet, baseUrl, expect, screenshot, test } from "./support";

type Messages = { items: { kind: string; symbol: string | null; status: string }[] };
type Markers = { markers: unknown[] };

/** The demo's chatty preset alerts within a minute: the first symbol with an alert. */
async function symbolWithAlert(): Promise<string> {
  let symbol: string | null = null;
  await expect
    .poll(
      async () => {
        const page = await apiGet<Messages>("/api/telegram/messages?limit=100");
        symbol = page.items.find((m) => m.kind === "ALERT" && m.symbol)?.symbol ?? null;
        return symbol;
      },
      { timeout: 90_000, message: "the demo produced no alert" },
    )
    .not.toBeNull();
  return symbol as unknown as string;
}

test("the symbol chart renders candles and signal markers, with the decision and throttle", async ({ page }) => {
  const symbol = await symbolWithAlert();
  const markers = await apiGet<Markers>(`/api/market/markers?symbol=${symbol}`);
  expect(markers.markers.length).toBeGreaterThan(0);

  await page.goto(`${baseUrl()}/symbol/?s=${symbol}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(symbol);
  const chart = page.getByTestId("candle-chart");
  await expect(chart.locator("canvas").first()).toBeVisible();
  await expect.poll(async () => Number(await chart.getAttribute("data-candles"))).toBeGreaterThan(20);
  await expect.poll(async () => Number(await chart.getAttribute("data-markers"))).toBeGreaterThan(0);

  const why = page.getByTestId("why-card");
  await expect(why.getByTestId("why-conditions")).toBeVisible();
  await expect(why).toContainText("Alert gates");
  await expect(why.getByTestId("why-alert")).not.toBeEmpty();
  await expect(page.getByTestId("throttle-card")).toContainText("BUY");
  await expect(page.getByTestId("throttle-card")).toContainText("SELL");
  await screenshot(page, "symbol");
});

test("the symbol page explains an unknown symbol and offers a picker", async ({ page }) => {
  await page.goto(`${baseUrl()}/symbol/`);
  await expect(page.getByText("Pick a symbol")).toBeVisible();
  await page.getByLabel("Symbol").fill("nope_usdt");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/\/symbol\/\?s=NOPE_USDT/);
  await expect(page.getByText("NOPE_USDT is not on the watchlist")).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText("No candle stored for NOPE_USDT")).toBeVisible();
});
