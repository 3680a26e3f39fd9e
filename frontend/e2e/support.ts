// Shared by the specs: the backend's address, the token in the browser, screenshots, API reads.
import { mkdirSync } from "node:fs";
import path from "node:path";

import { test as base, expect, type Page } from "@playwright/test";

import { API_TOKEN } from "./backend";

export const SCREENSHOTS = path.resolve(__dirname, "..", "test-results", "screenshots");

export function baseUrl(): string {
  const url = process.env.E2E_BASE_URL;
  if (!url) throw new Error("E2E_BASE_URL is not set: run the specs with `npm run e2e`");
  return url;
}

/** A page whose browser already holds the API token (as after entering it once). */
export const test = base.extend<{ page: Page }>({
  page: async ({ page }, provide) => {
    await page.addInitScript((token) => window.localStorage.setItem("atp.apiToken", token), API_TOKEN);
    await provide(page);
  },
});
export { expect };

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** fetch, retried once when the connection drops: Node's pool may reuse a keep-alive
 *  connection the API server has just closed ("other side closed"), before any byte was sent. */
async function fetchOnce(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return fetch(url, init);
  }
}

/** Read the API directly (what the database holds), bypassing the browser. */
export async function apiGet<T>(route: string): Promise<T> {
  const response = await fetchOnce(`${baseUrl()}${route}`);
  if (!response.ok) throw new Error(`GET ${route}: ${response.status}`);
  return (await response.json()) as T;
}

export async function apiSend(method: string, route: string, body: unknown): Promise<Response> {
  return fetchOnce(`${baseUrl()}${route}`, {
    method,
    headers: { Authorization: `Bearer ${API_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}
