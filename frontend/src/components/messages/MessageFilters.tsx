"use client";
// Ledger filters: status applies at once; symbol and reason prefix apply on Enter / "Apply".
import { useState } from "react";

import type { Schemas } from "@/lib/api/client";

export type Status = Schemas["MessageStatus"];
export type MessageFilter = { status?: Status; symbol?: string; reason?: string };

export const STATUSES: Status[] = ["PENDING", "SENDING", "SENT", "BLOCKED", "FAILED", "EXPIRED"];
// Reason prefixes an operator looks for most (the codes are in docs/alerts.md).
export const COMMON_REASONS = ["THROTTLED", "TELEGRAM", "KILL_SWITCH", "MARKET_DATA_STALE", "ALERT_DISABLED"];

function clean(text: string): string | undefined {
  const value = text.trim().toUpperCase();
  return value === "" ? undefined : value;
}

export function MessageFilters({ value, onChange }: { value: MessageFilter; onChange: (next: MessageFilter) => void }) {
  const [symbol, setSymbol] = useState(value.symbol ?? "");
  const [reason, setReason] = useState(value.reason ?? "");
  const active = Boolean(value.status || value.symbol || value.reason);
  return (
    <form
      className="filters row"
      aria-label="Message filters"
      onSubmit={(event) => {
        event.preventDefault();
        onChange({ ...value, symbol: clean(symbol), reason: clean(reason) });
      }}
    >
      <label>
        Status{" "}
        <select value={value.status ?? ""} onChange={(event) => onChange({ ...value, status: (event.target.value || undefined) as Status | undefined })}>
          <option value="">any</option>
          {STATUSES.map((status) => (
            <option key={status} value={status}>
              {status.toLowerCase()}
            </option>
          ))}
        </select>
      </label>
      <label>
        Reason starts with{" "}
        <input list="common-reasons" value={reason} onChange={(event) => setReason(event.target.value)} placeholder="e.g. THROTTLED" size={18} />
      </label>
      <datalist id="common-reasons">
        {COMMON_REASONS.map((code) => (
          <option key={code} value={code} />
        ))}
      </datalist>
      <label>
        Symbol <input value={symbol} onChange={(event) => setSymbol(event.target.value)} placeholder="e.g. BTC_USDT" size={12} />
      </label>
      <button type="submit" className="btn btn-small btn-primary">
        Apply
      </button>
      {active ? (
        <button
          type="button"
          className="btn btn-small"
          onClick={() => {
            setSymbol("");
            setReason("");
            onChange({});
          }}
        >
          Clear filters
        </button>
      ) : null}
    </form>
  );
}
