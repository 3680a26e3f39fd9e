"use client";
// Symbol detail: /symbol/?s=BTC_USDT (a query parameter: the dashboard is a static export).
import { useSearchParams } from "next/navigation";
import { Suspense } from "react";

import { Page } from "@/components/Page";
import { Empty, Loading } from "@/components/States";
import { SymbolDetail } from "@/components/symbol/SymbolDetail";
import { SymbolPicker } from "@/components/symbol/SymbolPicker";
import "@/components/shared/pages.css";

function SymbolPageBody() {
  const symbol = (useSearchParams().get("s") ?? "").trim().toUpperCase();
  return (
    <Page
      title={symbol || "Symbol"}
      subtitle="Candles with the preset's indicators, past alerts and orders, the decision now and the throttle."
      actions={<SymbolPicker key={symbol} current={symbol} />}
    >
      {symbol ? (
        <SymbolDetail key={symbol} symbol={symbol} />
      ) : (
        <Empty title="Pick a symbol">Type one above, or open a symbol from the Watchlist, Orders or Messages.</Empty>
      )}
    </Page>
  );
}

export default function SymbolPage() {
  return (
    <Suspense fallback={<Loading what="the symbol" />}>
      <SymbolPageBody />
    </Suspense>
  );
}
