"use client";
// One symbol: chart with markers, the decision now with every condition and gate, the throttle.
import Link from "next/link";

import { Card } from "@/components/Page";
import { Empty, QueryState } from "@/components/States";
import { ApiError } from "@/lib/errors";
import { utcTime } from "@/lib/money";

import { CandleChart } from "./CandleChart";
import { DecisionCard } from "./DecisionCard";
import { useCandles, useMarkers, useThrottle, useWhy } from "./queries";
import { ThrottleCard } from "./ThrottleCard";

function ChartCard({ symbol }: { symbol: string }) {
  const candles = useCandles(symbol);
  const since = candles.data?.candles[0]?.open_time;
  const markers = useMarkers(symbol, since);
  return (
    <Card title="Chart" testId="chart-card">
      <QueryState query={candles} what="candles">
        {(chart) =>
          chart.candles.length === 0 ? (
            <Empty title={`No candle stored for ${symbol} (${chart.timeframe})`}>The market updater fetches candles for watchlist symbols; check the Overview for market data problems.</Empty>
          ) : (
            <>
              <p className="muted small">
                {chart.candles.length} candles of {chart.timeframe}, preset {chart.preset_key}
                {chart.preset_version !== null ? ` v${chart.preset_version}` : ""}, last opened {utcTime(chart.candles.at(-1)?.open_time)}.{" "}
                {markers.data ? `${markers.data.markers.length} markers${markers.data.truncated ? " (the newest only)" : ""}.` : markers.error ? "Markers could not be read." : "Loading markers…"}
              </p>
              <CandleChart chart={chart} markers={markers.data?.markers ?? []} />
            </>
          )
        }
      </QueryState>
    </Card>
  );
}

export function SymbolDetail({ symbol }: { symbol: string }) {
  const why = useWhy(symbol);
  const throttle = useThrottle(symbol);
  if (why.error instanceof ApiError && why.error.status === 404) {
    return (
      <>
        <ChartCard symbol={symbol} />
        <Empty title={`${symbol} is not on the watchlist`}>
          The monitor decides only for watchlist symbols. Add it on the <Link href="/watchlist/">Watchlist</Link> to see its decision and throttle here.
        </Empty>
      </>
    );
  }
  return (
    <>
      <ChartCard symbol={symbol} />
      <div className="symbol-grid">
        <QueryState query={why} what="the decision">
          {(data) => <DecisionCard why={data} />}
        </QueryState>
        <QueryState query={throttle} what="the throttle">
          {(data) => <ThrottleCard throttle={data} />}
        </QueryState>
      </div>
    </>
  );
}
