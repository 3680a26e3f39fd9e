import { makeRow } from "@/test/rows";

import { filterRows, NO_FILTER, sortRows } from "./rows";

const rows = [
  makeRow("ETH_USDT", { price: "2955.18", rsi: 61, signal_side: "SELL", trade_enabled: true }),
  makeRow("BTC_USDT", { price: "127500.46", rsi: null, signal_side: "BUY" }),
  makeRow("ADA_USDT", { price: "0.6068", rsi: 30, signal_side: null, alert_enabled: false }),
];
const symbols = (list: { symbol: string }[]) => list.map((row) => row.symbol);

describe("sortRows", () => {
  it("sorts decimal-string prices as numbers, both ways", () => {
    expect(symbols(sortRows(rows, { key: "price", descending: false }))).toEqual(["ADA_USDT", "ETH_USDT", "BTC_USDT"]);
    expect(symbols(sortRows(rows, { key: "price", descending: true }))).toEqual(["BTC_USDT", "ETH_USDT", "ADA_USDT"]);
  });

  it("keeps rows without a value last in either direction", () => {
    expect(symbols(sortRows(rows, { key: "rsi", descending: false }))).toEqual(["ADA_USDT", "ETH_USDT", "BTC_USDT"]);
    expect(symbols(sortRows(rows, { key: "rsi", descending: true }))).toEqual(["ETH_USDT", "ADA_USDT", "BTC_USDT"]);
  });

  it("orders signals BUY, SELL, then never evaluated", () => {
    expect(symbols(sortRows(rows, { key: "signal", descending: false }))).toEqual(["BTC_USDT", "ETH_USDT", "ADA_USDT"]);
  });

  it("does not reorder its input", () => {
    sortRows(rows, { key: "symbol", descending: false });
    expect(symbols(rows)).toEqual(["ETH_USDT", "BTC_USDT", "ADA_USDT"]);
  });
});

describe("filterRows", () => {
  it("matches text case-insensitively, by signal and by switches", () => {
    expect(symbols(filterRows(rows, { ...NO_FILTER, text: "btc" }))).toEqual(["BTC_USDT"]);
    expect(symbols(filterRows(rows, { ...NO_FILTER, signal: "SELL" }))).toEqual(["ETH_USDT"]);
    expect(symbols(filterRows(rows, { ...NO_FILTER, alertsOnly: true }))).toEqual(["ETH_USDT", "BTC_USDT"]);
    expect(symbols(filterRows(rows, { ...NO_FILTER, tradeOnly: true }))).toEqual(["ETH_USDT"]);
  });
});
