"use client";
// Candles with the preset's moving averages, RSI in its own pane with the preset's thresholds,
// and markers for past alerts, blocked signals and orders (lightweight-charts 5).
import {
  CandlestickSeries,
  ColorType,
  createChart,
  createSeriesMarkers,
  LineSeries,
  LineStyle,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type Time as ChartTime,
} from "lightweight-charts";
import { useEffect, useMemo, useRef } from "react";

import type { Schemas } from "@/lib/api/client";

import { candleBars, chartMarkers, COLOURS, indicatorLine, type ApiMarker } from "./chartData";

type Series = {
  candles: ISeriesApi<"Candlestick">;
  ema10: ISeriesApi<"Line">;
  ma50: ISeriesApi<"Line">;
  ma200: ISeriesApi<"Line">;
  rsi: ISeriesApi<"Line">;
  markers: ISeriesMarkersPluginApi<ChartTime>;
};

function build(container: HTMLElement): { chart: IChartApi; series: Series } {
  const chart = createChart(container, {
    autoSize: true,
    layout: { background: { type: ColorType.Solid, color: "#ffffff" }, textColor: "#1c2430", fontSize: 12, panes: { separatorColor: "#dde2e8" } },
    grid: { vertLines: { color: "#f0f2f5" }, horzLines: { color: "#f0f2f5" } },
    timeScale: { timeVisible: true, secondsVisible: false, borderColor: "#dde2e8", rightOffset: 8 }, // room for the newest markers' labels
    rightPriceScale: { borderColor: "#dde2e8" },
  });
  const line = (color: string, title: string, pane = 0) =>
    chart.addSeries(LineSeries, { color, lineWidth: 1, title, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false }, pane);
  const candles = chart.addSeries(CandlestickSeries, {
    upColor: COLOURS.up,
    downColor: COLOURS.down,
    borderVisible: false,
    wickUpColor: COLOURS.up,
    wickDownColor: COLOURS.down,
  });
  const series: Series = {
    candles,
    ema10: line(COLOURS.ema10, "EMA10"),
    ma50: line(COLOURS.ma50, "MA50"),
    ma200: line(COLOURS.ma200, "MA200"),
    rsi: line(COLOURS.rsi, "RSI", 1),
    markers: createSeriesMarkers(candles, []),
  };
  chart.panes()[1]?.setStretchFactor(0.4); // RSI: a readable strip under the price pane
  return { chart, series };
}

function levels(rsi: ISeriesApi<"Line">, chartLevels: Schemas["ChartLevels"]) {
  for (const line of rsi.priceLines()) rsi.removePriceLine(line);
  rsi.createPriceLine({ price: chartLevels.rsi_buy_below, color: COLOURS.up, lineStyle: LineStyle.Dashed, lineWidth: 1, axisLabelVisible: true, title: "buy below" });
  rsi.createPriceLine({ price: chartLevels.rsi_sell_above, color: COLOURS.down, lineStyle: LineStyle.Dashed, lineWidth: 1, axisLabelVisible: true, title: "sell above" });
}

export function CandleChart({ chart: data, markers }: { chart: Schemas["CandlesOut"]; markers: ApiMarker[] }) {
  const box = useRef<HTMLDivElement>(null);
  const api = useRef<{ chart: IChartApi; series: Series } | null>(null);
  const fitted = useRef(false);

  useEffect(() => {
    if (!box.current) return;
    api.current = build(box.current);
    return () => {
      api.current?.chart.remove();
      api.current = null;
      fitted.current = false;
    };
  }, []);

  const placed = useMemo(() => chartMarkers(markers, data.candles), [markers, data.candles]);
  useEffect(() => {
    const current = api.current;
    if (!current) return;
    const { series } = current;
    // Times are UTC seconds, what lightweight-charts calls UTCTimestamp.
    series.candles.setData(candleBars(data.candles).map((b) => ({ ...b, time: b.time as ChartTime })));
    for (const name of ["ema10", "ma50", "ma200", "rsi"] as const) {
      series[name].setData(indicatorLine(data.candles, name).map((p) => ({ ...p, time: p.time as ChartTime })));
    }
    levels(series.rsi, data.levels);
    series.markers.setMarkers(placed.map((m) => ({ ...m, time: m.time as ChartTime })));
    if (!fitted.current && data.candles.length) {
      current.chart.timeScale().fitContent(); // once: a poll must not reset the operator's zoom
      fitted.current = true;
    }
  }, [data, placed]);

  return (
    <div className="chart-box">
      <div ref={box} className="chart" data-testid="candle-chart" data-candles={data.candles.length} data-markers={placed.length} />
      <div className="chart-legend small">
        <span style={{ color: COLOURS.ema10 }}>━ EMA10</span>
        <span style={{ color: COLOURS.ma50 }}>━ MA50</span>
        <span style={{ color: COLOURS.ma200 }}>━ MA200</span>
        <span style={{ color: COLOURS.up }}>▲ BUY alert</span>
        <span style={{ color: COLOURS.down }}>▼ SELL alert</span>
        <span style={{ color: COLOURS.blocked }}>● blocked signal</span>
        <span style={{ color: COLOURS.order }}>■ order</span>
        <span className="muted">RSI pane: dashed lines are the preset&apos;s buy / sell thresholds</span>
      </div>
    </div>
  );
}
