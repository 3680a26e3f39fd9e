"use client";
// Choose a symbol to look at (the page is /symbol/?s=BTC_USDT: a static export has no dynamic
// routes, so the symbol is a query parameter).
import { useRouter } from "next/navigation";
import { useState } from "react";

import { symbolHref } from "@/components/shared/SymbolLink";

export function SymbolPicker({ current }: { current?: string }) {
  const router = useRouter();
  const [draft, setDraft] = useState(current ?? "");
  return (
    <form
      className="row"
      onSubmit={(event) => {
        event.preventDefault();
        const symbol = draft.trim().toUpperCase();
        if (symbol) router.push(symbolHref(symbol));
      }}
    >
      <label htmlFor="symbol-input">Symbol</label>
      <input id="symbol-input" value={draft} onChange={(event) => setDraft(event.target.value)} placeholder="BTC_USDT" size={12} />
      <button type="submit" className="btn btn-small">
        Show
      </button>
    </form>
  );
}
