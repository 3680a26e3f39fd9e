"use client";
// The watchlist table: sortable headers; above VIRTUALIZE_ABOVE rows only the visible rows
// (plus a margin) are in the DOM, so 500 symbols scroll as smoothly as 10.
import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef } from "react";

import type { Row, Sort, SortKey } from "./rows";
import { COLUMN_COUNT, WatchlistRow } from "./WatchlistRow";

export const VIRTUALIZE_ABOVE = 60;
// px: one row with its two-line cells. Not measured per row: rows stay in the table's flow
// (spacer rows above and below), so a row grown by an error message only pushes the rest down.
const ROW_HEIGHT = 49;

// Fixed column widths (rem) with `table-layout: fixed`: the browser does not re-measure every
// column whenever rows enter the window while scrolling.
const HEADERS: { label: string; width: number; key?: SortKey; numeric?: boolean; title?: string }[] = [
  { label: "Symbol", width: 9.5, key: "symbol" },
  { label: "Price", width: 9, key: "price", numeric: true },
  { label: "Signal", width: 5.5, key: "signal", title: "hover a badge for every condition" },
  { label: "RSI", width: 3.5, key: "rsi", numeric: true },
  { label: "EMA10", width: 6, key: "ema10", numeric: true },
  { label: "MA50", width: 6, key: "ma50", numeric: true },
  { label: "MA200", width: 6, key: "ma200", numeric: true },
  { label: "Vol ratio", width: 5.5, key: "volume_ratio", numeric: true },
  { label: "Preset", width: 8.5, key: "preset" },
  { label: "Alert", width: 4.2 },
  { label: "Buy", width: 4.2 },
  { label: "Sell", width: 4.2 },
  { label: "Trade", width: 4.2 },
  { label: "Amount USD", width: 7.5, key: "amount", numeric: true },
  { label: "SL %", width: 4.5, numeric: true },
  { label: "TP %", width: 4.5, numeric: true },
  { label: "Last alert", width: 13, key: "last_alert" },
];
const REMOVE_WIDTH = 7.5;
const TABLE_WIDTH = HEADERS.reduce((total, header) => total + header.width, REMOVE_WIDTH);

type Props = { rows: Row[]; sort: Sort; onSort: (sort: Sort) => void };

export function WatchlistTable({ rows, sort, onSort }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = rows.length > VIRTUALIZE_ABOVE;
  // The React Compiler is not used here, so nothing memoizes the virtualizer's functions.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: virtual ? rows.length : 0,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });
  const items = virtualizer.getVirtualItems();
  const visible = virtual ? items.map((item) => ({ row: rows[item.index]!, index: item.index })) : rows.map((row, index) => ({ row, index }));
  const padTop = virtual ? (items[0]?.start ?? 0) : 0;
  const padBottom = virtual ? virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0) : 0;

  return (
    <div ref={scroller} className="table-wrap watchlist-scroll" data-testid="watchlist-table" data-virtual={virtual}>
      <table aria-rowcount={rows.length + 1} className="fixed" style={{ minWidth: `${TABLE_WIDTH}rem` }}>
        <colgroup>
          {HEADERS.map((header) => (
            <col key={header.label} style={{ width: `${header.width}rem` }} />
          ))}
          <col style={{ width: `${REMOVE_WIDTH}rem` }} />
        </colgroup>
        <thead>
          <tr>
            {HEADERS.map((header) => (
              <th key={header.label} className={header.numeric ? "num" : undefined} title={header.title} aria-sort={header.key === sort.key ? (sort.descending ? "descending" : "ascending") : undefined}>
                {header.key ? (
                  <button type="button" className="sort" onClick={() => onSort({ key: header.key!, descending: header.key === sort.key ? !sort.descending : false })}>
                    {header.label} {header.key === sort.key ? (sort.descending ? "▼" : "▲") : ""}
                  </button>
                ) : (
                  header.label
                )}
              </th>
            ))}
            <th aria-label="remove" />
          </tr>
        </thead>
        <tbody>
          {padTop > 0 ? <Spacer height={padTop} /> : null}
          {visible.map(({ row, index }) => (
            <WatchlistRow key={row.symbol} row={row} index={index} />
          ))}
          {padBottom > 0 ? <Spacer height={padBottom} /> : null}
        </tbody>
      </table>
    </div>
  );
}

function Spacer({ height }: { height: number }) {
  return (
    <tr aria-hidden="true" style={{ height }}>
      <td colSpan={COLUMN_COUNT + 1} className="spacer" />
    </tr>
  );
}
