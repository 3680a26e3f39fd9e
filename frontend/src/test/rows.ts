import type { Row } from "@/app/watchlist/rows";

export function makeRow(symbol: string, overrides: Partial<Row> = {}): Row {
  return {
    symbol,
    price: "100.5",
    price_age_s: 3,
    signal_side: "NONE",
    evaluated_at: "2026-01-01T00:00:00Z",
    rsi: 50,
    ema10: 100,
    ma50: 99,
    ma200: 98,
    volume_ratio: 1.1,
    preset: "swing:conservative",
    strategy_key: "swing:conservative",
    alert_enabled: true,
    buy_alert_enabled: true,
    sell_alert_enabled: true,
    trade_enabled: false,
    trade_amount_usd: "50",
    sl_percentage: null,
    tp_percentage: null,
    decision_alert_status: null,
    decision_alert_reason: null,
    last_alert_status: null,
    last_alert_reason: null,
    last_alert_at: null,
    ...overrides,
  };
}
