import { candleBars, chartMarkers, indicatorLine, type ApiMarker, type Candle } from "./chartData";

function candle(openTime: string, extra: Partial<Candle> = {}): Candle {
  return { open_time: openTime, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, rsi: null, ema10: null, ma50: null, ma200: null, volume_ratio: null, atr: null, ...extra };
}

function marker(at: string, kind: string, side: string | null = "BUY", extra: Partial<ApiMarker> = {}): ApiMarker {
  return { at, kind, side, status: "SENT", price: "1", reason: null, label: `${side} sent`, ref_id: 1, ...extra };
}

const CANDLES = [candle("2026-05-01T10:00:00Z", { rsi: 40 }), candle("2026-05-01T11:00:00Z"), candle("2026-05-01T12:00:00Z", { rsi: 55 })];
const T10 = Date.parse("2026-05-01T10:00:00Z") / 1000;
const T11 = T10 + 3600;
const T12 = T11 + 3600;

describe("chart data", () => {
  it("turns candles into bars in UTC seconds", () => {
    expect(candleBars(CANDLES)[0]).toEqual({ time: T10, open: 1, high: 2, low: 0.5, close: 1.5 });
  });
  it("leaves undefined indicator values out of the line", () => {
    expect(indicatorLine(CANDLES, "rsi")).toEqual([
      { time: T10, value: 40 },
      { time: T12, value: 55 },
    ]);
  });
  it("puts each marker on the candle it falls in, sorted, and drops those before the chart", () => {
    const placed = chartMarkers(
      [
        marker("2026-05-01T12:30:00Z", "alert", "SELL", { ref_id: 3 }),
        marker("2026-05-01T11:59:59Z", "signal", "BUY", { ref_id: 2, status: "BLOCKED" }),
        marker("2026-05-01T09:00:00Z", "alert", "BUY", { ref_id: 1 }),
        marker("2026-05-01T10:00:00Z", "order", "BUY", { ref_id: 9, label: "STOP_LOSS SELL filled", status: "FILLED" }),
      ],
      CANDLES,
    );
    expect(placed.map((m) => [m.time, m.id])).toEqual([
      [T10, "order-9"],
      [T11, "signal-2"],
      [T12, "alert-3"],
    ]);
    expect(placed[0]).toMatchObject({ shape: "square", text: "SL filled" });
    expect(placed[1]).toMatchObject({ shape: "circle", text: "BUY blocked", position: "belowBar" });
    expect(placed[2]).toMatchObject({ shape: "arrowDown", text: "SELL alert", position: "aboveBar" });
  });
});
