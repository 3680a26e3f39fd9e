// Settings: the kill switch asks first and then changes the server; a bad limit is refused
// readably and changes nothing.
import { apiGet, baseUrl, expect, screenshot, test } from "./support";

type Settings = { settings: { key: string; value: string }[] };

async function serverValue(key: string): Promise<string | undefined> {
  return (await apiGet<Settings>("/api/trading/settings")).settings.find((s) => s.key === key)?.value;
}

test("the kill switch asks for confirmation, then changes the server state", async ({ page }) => {
  expect(await serverValue("KILL_SWITCH")).toBe("false");
  await page.goto(`${baseUrl()}/settings/`);
  const row = page.getByTestId("switch-KILL_SWITCH");
  await expect(row).toHaveAttribute("data-value", "false");

  await row.getByRole("button", { name: "Turn on" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("Every new entry order is blocked");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  expect(await serverValue("KILL_SWITCH")).toBe("false");

  await row.getByRole("button", { name: "Turn on" }).click();
  await screenshot(page, "settings-confirm");
  await page.getByRole("dialog").getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByRole("dialog")).toBeHidden();
  await expect(row).toHaveAttribute("data-value", "true");
  expect(await serverValue("KILL_SWITCH")).toBe("true");
  const trail = page.getByTestId("config-trail");
  await expect(trail.locator("tbody tr").first()).toContainText("KILL_SWITCH");

  // Back off, so the demo keeps trading for the other specs.
  await row.getByRole("button", { name: "Turn off" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Turn off" }).click();
  await expect(row).toHaveAttribute("data-value", "false");
  expect(await serverValue("KILL_SWITCH")).toBe("false");
});

test("an invalid limit shows the server's reason and changes nothing", async ({ page }) => {
  const before = await serverValue("MAX_USD_PER_ORDER");
  await page.goto(`${baseUrl()}/settings/`);
  const form = page.getByTestId("limit-MAX_USD_PER_ORDER");
  await form.getByRole("textbox").fill("12.345");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("alert")).toContainText("Not saved");
  await expect(form.getByRole("alert")).toContainText("2 decimals");
  expect(await serverValue("MAX_USD_PER_ORDER")).toBe(before);
  await expect(page.getByTestId("settings-presets")).toBeVisible();
  await screenshot(page, "settings");
});
