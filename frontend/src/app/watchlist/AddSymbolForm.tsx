"use client";
// Add a symbol (BASE_QUOTE, e.g. BTC_USDT). The server checks it; its answer is shown as is.
import { useState } from "react";

import { ErrorMessage } from "@/components/States";

import { useAddSymbol } from "./mutations";

export function AddSymbolForm() {
  const add = useAddSymbol();
  const [symbol, setSymbol] = useState("");
  return (
    <form
      className="row add-symbol"
      onSubmit={(event) => {
        event.preventDefault();
        add.mutate(symbol.trim().toUpperCase(), { onSuccess: () => setSymbol("") });
      }}
    >
      <label htmlFor="add-symbol">Add symbol</label>
      <input id="add-symbol" value={symbol} onChange={(event) => setSymbol(event.target.value)} placeholder="e.g. LINK_USDT" maxLength={32} />
      <button type="submit" className="btn btn-primary btn-small" disabled={!symbol.trim() || add.isPending}>
        {add.isPending ? "Adding…" : "Add"}
      </button>
      {add.error ? <ErrorMessage error={add.error} /> : null}
      {add.data ? (
        <span className="muted" role="status">
          Added {add.data.item.symbol}
          {add.data.warnings.length ? `: ${add.data.warnings.join("; ")}` : "."}
        </span>
      ) : null}
    </form>
  );
}
