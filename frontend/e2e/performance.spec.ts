// First paint of the overview and scrolling of the watchlist with 500 symbols, measured in the
// browser (Performance API) against a backend seeded with 500 watchlist symbols (the seed of
// bench/api_load.py: candles, prices and one monitor cycle's state rows), served by `atp api`.
// Numbers go to test-results/performance.json and docs/performance.md.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import path from "node:path";

import { expect, test, type Page } from "@playwright/test";

import { startBackend, type Backend } from "./backend";
import { SCREENSHOTS, screenshot } from "./support";

const FIRST_PAINT_BUDGET_MS = 1_000;
// Smooth = the page's own work per scroll step (scroll handler + React render of the rows that
// enter) fits in one 60 fps frame. Frame-to-frame times are recorded too, not asserted: on a
// shared 2-core machine they mostly measure the other processes (docs/performance.md).
const RENDER_BUDGET_MEDIAN_MS = 16;
const SCROLL_STEP_PX = 150;

let backend: Backend;
const RESULTS = path.join(SCREENSHOTS, "..", "performance.json");

/** Merge one measurement into test-results/performance.json (kept even when a budget fails). */
function record(key: string, value: unknown): void {
  const results = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, "utf-8")) as Record<string, unknown>) : {};
  results[key] = value;
  results.machine = { cpus: cpus().length, load_average_1m: Number(loadavg()[0]!.toFixed(1)) };
  writeFileSync(RESULTS, JSON.stringify(results, null, 2));
  console.log(`performance ${key}: ${JSON.stringify(value)} (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs)`);
}

test.describe.configure({ timeout: 120_000 });

test.beforeAll(async () => {
  test.setTimeout(180_000); // seeding 500 symbols with candles takes ~15 s
  backend = await startBackend({ seed: "symbols500" });
});

test.afterAll(async () => {
  await backend?.stop();
});

/** Record (in the page) when the first element matching `selector` is attached. */
async function watchFor(page: Page, selector: string): Promise<void> {
  await page.addInitScript((wanted) => {
    const seen = () => {
      if (document.querySelector(wanted)) {
        (window as unknown as { __seenAt: number }).__seenAt = performance.now();
        return true;
      }
      return false;
    };
    new MutationObserver((_, observer) => seen() && observer.disconnect()).observe(document, { childList: true, subtree: true });
  }, selector);
}

async function loadOverview(page: Page): Promise<{ fcp: number; status: number }> {
  await page.goto(`${backend.url}/`);
  await expect(page.getByTestId("global-status")).toBeVisible();
  return page.evaluate(() => ({
    fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? Number.NaN,
    status: (window as unknown as { __seenAt: number }).__seenAt,
  }));
}

const percentile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) * q)]!;
const median = (values: number[]) => percentile(values, 0.5);
const round = (value: number) => Math.round(value);

test("the overview paints within 1 s with 500 symbols", async ({ browser }) => {
  const loads: { fcp: number; status: number }[] = [];
  for (let i = 0; i < 4; i++) {
    const context = await browser.newContext(); // a fresh cache: every load is a first visit
    const page = await context.newPage();
    await watchFor(page, '[data-testid="global-status"]');
    loads.push(await loadOverview(page));
    if (i === 3) await screenshot(page, "overview-500-symbols");
    await context.close();
  }
  const [cold, ...warm] = loads;
  record("overview", {
    cold_server_ms: { fcp: round(cold!.fcp), status_visible: round(cold!.status) },
    median_of_3_ms: { fcp: round(median(warm.map((l) => l.fcp))), status_visible: round(median(warm.map((l) => l.status))) },
  });
  expect(median(warm.map((l) => l.fcp))).toBeLessThan(FIRST_PAINT_BUDGET_MS);
  expect(median(warm.map((l) => l.status))).toBeLessThan(FIRST_PAINT_BUDGET_MS);
});

test("the watchlist with 500 rows renders a window and scrolls smoothly", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await watchFor(page, 'tr[data-symbol="C0000_USDT"]');
  await page.goto(`${backend.url}/watchlist/`);
  await expect(page.getByRole("status").filter({ hasText: "500 symbols" })).toBeVisible();
  const rowsVisibleMs = await page.evaluate(() => (window as unknown as { __seenAt: number }).__seenAt);
  const domRows = await page.locator("tbody tr[data-symbol]").count();
  // Scroll like a mouse wheel, SCROLL_STEP_PX per animation frame for 60 frames, timing each
  // frame and the synchronous work (scroll handler + React render) of each step; then jump
  // to the bottom.
  const scroll = await page.evaluate(async (stepPx) => {
    const scroller = document.querySelector<HTMLElement>('[data-testid="watchlist-table"]')!;
    const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));
    const frames: number[] = [];
    const work: number[] = [];
    let last = await nextFrame();
    for (let i = 1; i <= 60; i++) {
      const started = performance.now();
      scroller.scrollTop = stepPx * i;
      scroller.dispatchEvent(new Event("scroll")); // run the handler now, to time it
      work.push(performance.now() - started);
      const now = await nextFrame();
      frames.push(now - last);
      last = now;
    }
    scroller.scrollTop = scroller.scrollHeight;
    return { frames, work };
  }, SCROLL_STEP_PX);
  await expect(page.locator('tr[data-symbol="C0499_USDT"]')).toBeVisible();
  await screenshot(page, "watchlist-500-symbols-bottom");
  record("watchlist", {
    rows_visible_ms: round(rowsVisibleMs),
    dom_rows_of_500: domRows,
    scroll: `${scroll.frames.length} frames, ${SCROLL_STEP_PX} px each`,
    frame_ms: { median: round(median(scroll.frames)), p95: round(percentile(scroll.frames, 0.95)), max: round(Math.max(...scroll.frames)) },
    render_per_step_ms: { median: round(median(scroll.work)), p95: round(percentile(scroll.work, 0.95)) },
  });
  expect(domRows).toBeLessThan(100);
  expect(median(scroll.work)).toBeLessThan(RENDER_BUDGET_MEDIAN_MS);
  await context.close();
});
