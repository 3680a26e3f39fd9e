import { fireEvent, screen, within } from "@testing-library/react";

import { makeRow } from "@/test/rows";
import { renderWithClient } from "@/test/render";

import { VIRTUALIZE_ABOVE, WatchlistTable } from "./WatchlistTable";

describe("WatchlistTable", () => {
  it("shows each row's stored values and switches", () => {
    const rows = [makeRow("BTC_USDT", { price: "127500.46", trade_enabled: true, sl_percentage: "2.5" }), makeRow("ETH_USDT", { alert_enabled: false })];
    renderWithClient(<WatchlistTable rows={rows} sort={{ key: "symbol", descending: false }} onSort={() => {}} />);
    const btc = screen.getByText("BTC_USDT").closest("tr")!;
    expect(within(btc).getByText("127500.46")).toBeTruthy();
    expect(within(btc).getByRole("switch", { name: "trade BTC_USDT" }).getAttribute("aria-checked")).toBe("true");
    expect(within(btc).getByRole("button", { name: "edit SL % BTC_USDT" }).textContent).toBe("2.5 %");
    expect(screen.getByRole("switch", { name: "alerts ETH_USDT" }).getAttribute("aria-checked")).toBe("false");
    expect(screen.getByTestId("watchlist-table").dataset.virtual).toBe("false");
  });

  it("sorts by a header: the same header again flips the direction", () => {
    const onSort = vi.fn();
    renderWithClient(<WatchlistTable rows={[makeRow("BTC_USDT")]} sort={{ key: "price", descending: false }} onSort={onSort} />);
    expect(screen.getByRole("columnheader", { name: /Price/ }).getAttribute("aria-sort")).toBe("ascending");
    fireEvent.click(screen.getByRole("button", { name: /Price/ }));
    fireEvent.click(screen.getByRole("button", { name: /RSI/ }));
    expect(onSort.mock.calls).toEqual([[{ key: "price", descending: true }], [{ key: "rsi", descending: false }]]);
  });

  it("puts only a window of rows in the DOM for 500 symbols", () => {
    // jsdom lays nothing out: give the scroll container a browser-like height.
    const height = vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(600);
    const rows = Array.from({ length: 500 }, (_, i) => makeRow(`C${String(i).padStart(4, "0")}_USDT`));
    renderWithClient(<WatchlistTable rows={rows} sort={{ key: "symbol", descending: false }} onSort={() => {}} />);
    expect(500).toBeGreaterThan(VIRTUALIZE_ABOVE);
    const rendered = document.querySelectorAll("tbody tr[data-symbol]");
    expect(rendered.length).toBeGreaterThan(0);
    expect(rendered.length).toBeLessThan(60);
    expect(rendered[0]?.getAttribute("data-symbol")).toBe("C0000_USDT");
    expect(screen.getByTestId("watchlist-table").dataset.virtual).toBe("true");
    height.mockRestore();
  });
});
