"use client";
// Messages: the alert ledger (every alert and notice, sent or not, with the reason).
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { MessageFilters, type MessageFilter } from "@/components/messages/MessageFilters";
import { MessageTable } from "@/components/messages/MessageTable";
import { Page } from "@/components/Page";
import { PagerControls } from "@/components/shared/PagerControls";
import { usePager } from "@/components/shared/usePager";
import { Empty, QueryState } from "@/components/States";
import { api, unwrap } from "@/lib/api/client";
import "@/components/shared/pages.css";

export default function MessagesPage() {
  const [filter, setFilter] = useState<MessageFilter>({});
  const pager = usePager();
  const messages = useQuery({
    queryKey: ["messages", filter, pager.cursor],
    queryFn: async () => unwrap(await api.GET("/api/telegram/messages", { params: { query: { ...filter, cursor: pager.cursor, limit: 50 } } })),
  });
  const filtered = Boolean(filter.status || filter.symbol || filter.reason);
  return (
    <Page title="Messages" subtitle="The alert ledger: every alert and notice with its delivery status and, when held back, why.">
      <MessageFilters
        value={filter}
        onChange={(next) => {
          setFilter(next);
          pager.reset();
        }}
      />
      <QueryState query={messages} what="messages">
        {(page) => (
          <>
            {page.items.length ? (
              <MessageTable messages={page.items} />
            ) : filtered ? (
              <Empty title="No message matches these filters">Clear a filter or pick another status.</Empty>
            ) : (
              <Empty title="No message yet">Alerts appear here as soon as the monitor emits one (or a gate holds it back).</Empty>
            )}
            <PagerControls pager={pager} nextCursor={page.next_cursor} label="Messages" />
          </>
        )}
      </QueryState>
    </Page>
  );
}
