import { PAGES } from "../src/components/Nav";

import { baseUrl, expect, screenshot, test } from "./support";

test("the overview shows the Telegram blocker with its fix, in plain words", async ({ page }) => {
  await page.goto(`${baseUrl()}/`);
  const status = page.getByTestId("global-status");
  await expect(status).toContainText("Platform: WARN");
  const blockers = page.getByTestId("blockers");
  await expect(blockers).toContainText("Telegram is not enabled");
  await expect(blockers).toContainText("Fix: set TELEGRAM_BOT_TOKEN");
  await expect(page.getByTestId("blocker-banner")).toContainText("TELEGRAM_NOT_CONFIGURED");
  await expect(page.getByTestId("monitor")).toContainText("running");
  await expect(page.getByTestId("connections")).toContainText("console");
  await expect(page.getByTestId("root-causes")).not.toContainText("Loading");
  await screenshot(page, "overview");
});

test("every page in the navigation opens, with the global blocker banner", async ({ page }) => {
  for (const { href, label } of PAGES) {
    await page.goto(`${baseUrl()}${href}`);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expect(page.getByTestId("blocker-banner")).toBeVisible();
    await expect(page.getByRole("link", { name: label, exact: true })).toHaveAttribute("aria-current", "page");
    if (href !== "/") await screenshot(page, `page-${label.toLowerCase()}`);
  }
});

test("the token is entered once in the header and kept in the browser", async ({ browser }) => {
  const page = await browser.newPage(); // without the token fixture
  await page.goto(`${baseUrl()}/`);
  await page.getByRole("button", { name: "API token: not set" }).click();
  await page.getByLabel(/API token/).fill("some-token-value-123456");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("button", { name: "API token ✓" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("button", { name: "API token ✓" })).toBeVisible();
  expect(await page.evaluate(() => window.localStorage.getItem("atp.apiToken"))).toBe("some-token-value-123456");
  await page.close();
});
