"use client";
import type { Filter } from "./rows";

export function Filters({ filter, onChange, shown, total }: { filter: Filter; onChange: (filter: Filter) => void; shown: number; total: number }) {
  return (
    <div className="row filters">
      <input type="search" aria-label="filter symbols" placeholder="Filter: symbol or preset" value={filter.text} onChange={(event) => onChange({ ...filter, text: event.target.value })} />
      <select aria-label="signal" value={filter.signal} onChange={(event) => onChange({ ...filter, signal: event.target.value as Filter["signal"] })}>
        <option value="">any signal</option>
        <option value="BUY">BUY</option>
        <option value="SELL">SELL</option>
        <option value="NONE">no signal</option>
      </select>
      <label>
        <input type="checkbox" checked={filter.alertsOnly} onChange={(event) => onChange({ ...filter, alertsOnly: event.target.checked })} /> alerts on
      </label>
      <label>
        <input type="checkbox" checked={filter.tradeOnly} onChange={(event) => onChange({ ...filter, tradeOnly: event.target.checked })} /> trading on
      </label>
      <span className="muted" role="status">
        {shown === total ? `${total} symbols` : `${shown} of ${total} symbols`}
      </span>
    </div>
  );
}
