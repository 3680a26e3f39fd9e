// Sorting and filtering of watchlist rows: pure functions (tested in rows.test.ts).
import type { Schemas } from "@/lib/api/client";

export type Row = Schemas["WatchlistRowOut"];
export type SortKey = "symbol" | "price" | "signal" | "rsi" | "ema10" | "ma50" | "ma200" | "volume_ratio" | "preset" | "amount" | "last_alert";
export type Sort = { key: SortKey; descending: boolean };
export type Filter = { text: string; signal: "" | "BUY" | "SELL" | "NONE"; alertsOnly: boolean; tradeOnly: boolean };

export const NO_FILTER: Filter = { text: "", signal: "", alertsOnly: false, tradeOnly: false };

const SIGNAL_ORDER: Record<string, number> = { BUY: 0, SELL: 1, NONE: 2 };

function decimal(value: string | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

const VALUE: Record<SortKey, (row: Row) => number | string | null> = {
  symbol: (row) => row.symbol,
  price: (row) => decimal(row.price),
  signal: (row) => (row.signal_side ? SIGNAL_ORDER[row.signal_side] ?? 3 : null),
  rsi: (row) => row.rsi,
  ema10: (row) => row.ema10,
  ma50: (row) => row.ma50,
  ma200: (row) => row.ma200,
  volume_ratio: (row) => row.volume_ratio,
  preset: (row) => row.preset ?? row.strategy_key,
  amount: (row) => decimal(row.trade_amount_usd),
  last_alert: (row) => row.last_alert_at,
};

/** Sorted copy; rows without a value always come last, whatever the direction. */
export function sortRows(rows: readonly Row[], sort: Sort): Row[] {
  const value = VALUE[sort.key];
  const direction = sort.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === null || y === null) return x === y ? a.symbol.localeCompare(b.symbol) : x === null ? 1 : -1;
    const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return order === 0 ? a.symbol.localeCompare(b.symbol) : order * direction;
  });
}

export function filterRows(rows: readonly Row[], filter: Filter): Row[] {
  const text = filter.text.trim().toUpperCase();
  return rows.filter(
    (row) =>
      (!text || row.symbol.includes(text) || (row.preset ?? "").toUpperCase().includes(text)) &&
      (!filter.signal || row.signal_side === filter.signal) &&
      (!filter.alertsOnly || row.alert_enabled) &&
      (!filter.tradeOnly || row.trade_enabled),
  );
}
