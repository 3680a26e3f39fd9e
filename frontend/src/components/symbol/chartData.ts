// Pure conversions from the API's candles and markers to lightweight-charts data (tested in
// chartData.test.ts; the chart component only draws what these return).
import type { Schemas } from "@/lib/api/client";

export type Time = number; // UTC seconds (lightweight-charts' UTCTimestamp)
export type Candle = Schemas["CandlePoint"];
export type ApiMarker = Schemas["MarkerOut"];
export type LinePoint = { time: Time; value: number };
export type ChartMarker = {
  time: Time;
  position: "aboveBar" | "belowBar";
  color: string;
  shape: "arrowUp" | "arrowDown" | "circle" | "square";
  text: string;
  id: string;
};

export const COLOURS = { up: "#1d7a3e", down: "#b42318", ema10: "#2457c5", ma50: "#d69e2e", ma200: "#7b3fb5", rsi: "#2457c5", blocked: "#8a94a3", order: "#0f766e" };

export function seconds(iso: string): Time {
  return Math.floor(Date.parse(iso) / 1000);
}

export function candleBars(candles: Candle[]) {
  return candles.map((c) => ({ time: seconds(c.open_time), open: c.open, high: c.high, low: c.low, close: c.close }));
}

/** One indicator as a line, leaving out the candles where it is undefined (warm-up, gaps). */
export function indicatorLine(candles: Candle[], name: "ema10" | "ma50" | "ma200" | "rsi"): LinePoint[] {
  const points: LinePoint[] = [];
  for (const c of candles) {
    const value = c[name];
    if (value !== null && value !== undefined) points.push({ time: seconds(c.open_time), value });
  }
  return points;
}

/** The open time of the candle holding `time` (the last one opened at or before it). */
function barOf(time: Time, bars: Time[]): Time | null {
  let lo = 0;
  let hi = bars.length - 1;
  let found: Time | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const bar = bars[mid] as Time;
    if (bar <= time) {
      found = bar;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function look(m: ApiMarker): Omit<ChartMarker, "time" | "id"> {
  const buy = m.side === "BUY";
  if (m.kind === "order") {
    const role = m.label.split(" ")[0] ?? "ORDER";
    const short = { ENTRY: "entry", STOP_LOSS: "SL", TAKE_PROFIT: "TP", FLATTEN: "flatten" }[role] ?? role.toLowerCase();
    return { position: buy ? "belowBar" : "aboveBar", color: COLOURS.order, shape: "square", text: `${short} ${m.status.toLowerCase()}` };
  }
  const colour = m.kind === "signal" ? COLOURS.blocked : buy ? COLOURS.up : COLOURS.down;
  const text = m.kind === "signal" ? `${m.side ?? ""} blocked`.trim() : `${m.side ?? ""} alert`.trim();
  return { position: buy ? "belowBar" : "aboveBar", color: colour, shape: m.kind === "signal" ? "circle" : buy ? "arrowUp" : "arrowDown", text };
}

/**
 * Markers placed on the candle they fall in (the chart draws markers on bars), sorted by time.
 * Markers before the first candle are left out; those after the last one sit on the last candle.
 */
export function chartMarkers(markers: ApiMarker[], candles: Candle[]): ChartMarker[] {
  const bars = candles.map((c) => seconds(c.open_time));
  const placed: ChartMarker[] = [];
  for (const m of markers) {
    const bar = barOf(seconds(m.at), bars);
    if (bar === null) continue;
    placed.push({ time: bar, id: `${m.kind}-${m.ref_id}`, ...look(m) });
  }
  return placed.sort((a, b) => a.time - b.time);
}
