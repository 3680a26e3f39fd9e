"use client";
// Watchlist: every symbol with its price, decision, indicators, switches and last alert.
// Rows come from /api/dashboard (one read for the whole list); changes refetch it.
import { useMemo, useState } from "react";

import { Page } from "@/components/Page";
import { Empty, QueryState } from "@/components/States";
import { useDashboard } from "@/lib/queries";

import { AddSymbolForm } from "./AddSymbolForm";
import { Filters } from "./Filters";
import { filterRows, NO_FILTER, sortRows, type Row, type Sort } from "./rows";
import { WatchlistTable } from "./WatchlistTable";

export function WatchlistPage() {
  const dashboard = useDashboard();
  return (
    <Page title="Watchlist" subtitle="Click a value to edit it; switches and edits are saved on the server and shown as stored." actions={<AddSymbolForm />}>
      <QueryState query={dashboard} what="the watchlist">
        {(state) => (state.watchlist.length === 0 ? <Empty title="The watchlist is empty">Add a symbol above (e.g. BTC_USDT) to start watching it.</Empty> : <Watchlist rows={state.watchlist} />)}
      </QueryState>
    </Page>
  );
}

function Watchlist({ rows }: { rows: Row[] }) {
  const [sort, setSort] = useState<Sort>({ key: "symbol", descending: false });
  const [filter, setFilter] = useState(NO_FILTER);
  const shown = useMemo(() => sortRows(filterRows(rows, filter), sort), [rows, filter, sort]);
  return (
    <>
      <Filters filter={filter} onChange={setFilter} shown={shown.length} total={rows.length} />
      {shown.length === 0 ? <Empty title="No symbol matches the filter">Clear the filter to see all {rows.length} symbols.</Empty> : <WatchlistTable rows={shown} sort={sort} onSort={setSort} />}
    </>
  );
}
